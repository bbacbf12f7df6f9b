"""Privileged access: who may read passport data or manage users, and how granting it is guarded.

An account gains privileged access by becoming superuser, by joining a role that holds it (admin manages users;
security and accreditation see passport data) or by a direct permission of that kind. Nobody may grant it to
themselves, and every grant to someone else is audited and told to every other admin at once, so one admin
cannot quietly make an account (their own or one they control) that reads passports: a second pair of eyes
sees each grant the moment it happens.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from asemplanner.domain.audit import audit_log
from asemplanner.domain.notifications import notify_users
from asemplanner.roles import ADMIN, SENSITIVE_PERMISSION

# Permissions that make an account privileged: reading passport data, or changing users (and so their roles).
PRIVILEGED_PERMISSIONS = (SENSITIVE_PERMISSION, "auth.change_user", "auth.add_user", "auth.change_group")


def _privileged_permission_q(prefix: str = "") -> Q:
    q = Q()
    for dotted in PRIVILEGED_PERMISSIONS:
        app_label, codename = dotted.split(".")
        q |= Q(**{f"{prefix}content_type__app_label": app_label, f"{prefix}codename": codename})
    return q


def privileges_of(user: User) -> set[str]:
    """What makes `user` privileged, as readable labels: 'superuser', 'role security', 'permission …'."""
    held = {"superuser"} if user.is_superuser else set()
    held |= {
        f"role {name}"
        for name in user.groups.filter(_privileged_permission_q("permissions__")).values_list("name", flat=True)
    }
    held |= {
        f"permission {app_label}.{codename}"
        for app_label, codename in Permission.objects.filter(_privileged_permission_q(), user=user).values_list(
            "content_type__app_label", "codename"
        )
    }
    return held


def privileges_granted(*, user: User, before: set[str], by: User) -> set[str]:
    """After a change to `user` (whose privileges were `before`): refuse a self-grant (the caller's transaction is
    rolled back), and audit and announce to every other admin what was granted. Returns what was granted."""
    gained = privileges_of(user) - before
    if not gained:
        return gained
    if user.pk == by.pk:
        raise PermissionDenied(
            _("You cannot grant yourself %(granted)s: another admin must do it, and every other admin is told.")
            % {"granted": ", ".join(sorted(gained))}
        )
    audit_log(
        action="auth.user.privilege_granted",
        instance=user,
        by=by,
        changes={"privileges": [sorted(before), sorted(before | gained)]},
    )
    others = other_admins(by)
    notify_users(
        users=others,
        topic=f"privilege:{user.pk}:{'+'.join(sorted(gained))}:{by.pk}",
        # Worded for each admin in their own language.
        title=lambda: (
            _("%(by)s granted %(user)s: %(granted)s")
            % {"by": by.get_username(), "user": user.get_username(), "granted": ", ".join(sorted(gained))}
        ),
        body=lambda: _(
            "This account can now read passport data or manage users. If you did not expect this grant, take it "
            "back on the user's page and ask who made it."
        ),
        link=reverse("admin:auth_user_change", args=[user.pk]),
    )
    return gained


def other_admins(by: User) -> list[User]:
    """Every active admin and superuser but `by`: who is told of a grant."""
    admins = get_user_model().objects.filter(Q(is_superuser=True) | Q(groups__name=ADMIN), is_active=True)
    return list(admins.exclude(pk=by.pk).distinct())
