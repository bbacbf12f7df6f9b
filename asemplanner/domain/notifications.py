"""Inbox notices: staff read theirs in the admin, liaisons on /inbox/; mailed too where configured
(PLANNER_NOTIFY_BY_EMAIL)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.utils import timezone

from asemplanner.models import Notification

log = logging.getLogger(__name__)


def notify_roles(*, roles: list[str], topic: str, title: str, body: str = "", link: str = "") -> int:
    """One notice per active staff member of these roles per topic (a repeat of the topic adds nothing).
    Returns how many new notices were made."""
    users = get_user_model().objects.filter(is_active=True, is_staff=True, groups__name__in=roles).distinct()
    return notify_users(users=users, topic=topic, title=title, body=body, link=link)


def notify_users(*, users, topic: str, title: str, body: str = "", link: str = "", mail: bool | None = None) -> int:
    """One notice per active user per topic, in their inbox (the admin's for staff, /inbox/ for liaisons), and
    mailed when `mail` is true (default: PLANNER_NOTIFY_BY_EMAIL). Returns how many new notices were made."""
    users = [user for user in users if user.is_active]
    existing = set(Notification.objects.filter(topic=topic, recipient__in=users).values_list("recipient_id", flat=True))
    fresh = [user for user in users if user.pk not in existing]
    Notification.objects.bulk_create(
        [Notification(recipient=u, topic=topic, title=title, body=body, link=link) for u in fresh],
        ignore_conflicts=True,
    )
    if settings.PLANNER_NOTIFY_BY_EMAIL if mail is None else mail:
        addresses = [u.email for u in fresh if u.email]
        if addresses:
            try:
                # One message per person: recipients never see each other's addresses.
                send_mass_mail([(title, f"{body}\n\n{link}", None, [address]) for address in addresses])
            except OSError:
                # The inbox already holds the notice; a mail outage must not lose it or fail the caller.
                log.warning("could not mail notice %s to %d recipient(s)", topic, len(addresses))
    return len(fresh)


def notifications_mark_read(*, queryset) -> int:
    return queryset.filter(read_at__isnull=True).update(read_at=timezone.now())
