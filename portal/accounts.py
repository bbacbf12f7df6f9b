"""Liaison officers' accounts: accepting an invitation (the link in the mail) and choosing a password."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from asemplanner.domain.signin import attempt_allowed, attempt_failed
from delegations.domain.liaisons import invitation_accept, invitation_for_token, invitation_has_account
from portal.common import attach_errors
from portal.second_factor import locked_out


class SignInForm(AuthenticationForm):
    """Liaisons sign in with the address they were invited at, which is stored in lower case: "Hans@AA.de"
    must work as well as "hans@aa.de"."""

    def clean_username(self):
        username = self.cleaned_data.get("username", "")
        return username.strip().lower() if "@" in username else username


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset link page; a wrong link counts per address with wrong passwords (django-axes), and a
    locked-out address gets the lockout page instead."""

    def dispatch(self, *args, **kwargs):
        if not attempt_allowed(self.request):
            return locked_out(self.request)
        response = super().dispatch(*args, **kwargs)
        if not self.validlink:
            attempt_failed(self.request, what="password_reset")
        return response


class ResetRequestView(auth_views.PasswordResetView):
    """Django's reset request, refused to a locked-out address (the same answer for known and unknown ones)."""

    def dispatch(self, *args, **kwargs):
        if self.request.method == "POST" and not attempt_allowed(self.request):
            return locked_out(self.request)
        return super().dispatch(*args, **kwargs)


class AcceptInvitationForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("Given name(s)"), max_length=150)
    last_name = forms.CharField(label=gettext_lazy("Family name"), max_length=150)
    password1 = forms.CharField(
        label=gettext_lazy("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=lazy(password_validators_help_text_html, SafeString)(),  # in the language of the request
    )
    password2 = forms.CharField(
        label=gettext_lazy("The same password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ. Type the same password twice."))
        return data


@sensitive_post_parameters("password1", "password2")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def accept_invitation(request, token: str):
    # Guessing invitation links: a wrong one counts per address with wrong passwords (django-axes).
    if not attempt_allowed(request):
        return locked_out(request)
    invitation = invitation_for_token(token)
    if invitation is None:
        attempt_failed(request, what="invitation")
        return render(request, "registration/invitation_invalid.html", status=404)
    signed_in = request.user.is_authenticated
    # An address that already has an account is accepted by signing in with it, never by a second account.
    sign_in_first = not signed_in and invitation.status == "pending" and invitation_has_account(invitation)
    form = None if signed_in or sign_in_first else AcceptInvitationForm(request.POST or None)
    problem = ""
    if sign_in_first:
        problem = _(
            "%(email)s already has an account. Sign in with it (the link below brings you back here), "
            "then accept the invitation. Forgotten the password? Reset it from the sign-in page."
        ) % {"email": invitation.email}
    elif invitation.status != "pending":
        problem = {
            "accepted": _("This invitation has already been used. Sign in with the password you chose."),
            "revoked": _("This invitation was withdrawn or replaced by a newer one. Use the newest mail."),
            "expired": _("This invitation has expired. Ask the organising committee for a new one."),
        }[invitation.status]
    elif request.method == "POST" and (form is None or form.is_valid()):  # no form when signed in
        data = form.cleaned_data if form is not None else {}
        try:
            user = invitation_accept(
                invitation=invitation,
                user=request.user if signed_in else None,
                password=data.get("password1", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
        except ValidationError as exc:
            if form is not None:
                attach_errors(form, exc)
            else:
                problem = " ".join(exc.messages)
        else:
            if not signed_in:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome. You are now a liaison officer of %(delegation)s.") % {"delegation": invitation.delegation},
            )
            return redirect("portal:dashboard", invitation.delegation_id)
    status = 410 if problem and invitation.status != "pending" else 200
    return render(
        request,
        "registration/accept_invitation.html",
        {
            "invitation": invitation,
            "form": form,
            "problem": problem,
            "signed_in": signed_in,
            "sign_in_url": f"{reverse('login')}?next={request.path}",
        },
        status=status,
    )
