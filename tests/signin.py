"""Signing a test client in the way a person would end up: with the password and, where the account needs it
(staff always, a liaison who enrolled), past the second factor.

`sign_in(client, user)` is `client.force_login(user)` plus what django-otp stores after a correct code: the
session names the user's confirmed device (one is made for a user who has none). Tests of the second factor
itself use `client.force_login` and go through the pages.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from asemplanner.domain.signin import FACTOR_REQUIRED, second_factor_required


def verified_device(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def sign_in(client: Client, user: User) -> Client:
    client.force_login(user)
    if second_factor_required(user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = verified_device(user).persistent_id
        session[FACTOR_REQUIRED] = True
        session.save()
    return client
