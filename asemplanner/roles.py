"""Staff roles as Django groups, each with the model permissions its work needs.

Letters: v = view, a = add, c = change, d = delete. `delegations.view_sensitive_person` (passport data,
date of birth) goes to security and accreditation only. Liaison officers are not staff: their group has
no model permissions and their access to a delegation comes from `Delegation.liaisons`.

`roles_sync` runs after every `migrate` (`asemplanner/domain/bootstrap.py`, connected to post_migrate)
and again in `seed_asem13`, so a change here reaches every database on its next deploy.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS

ADMIN, PROTOCOL, SECURITY, LOGISTICS, ACCREDITATION, LIAISON = (
    "admin",
    "protocol",
    "security",
    "logistics",
    "accreditation",
    "liaison",
)
STAFF_ROLES = (ADMIN, PROTOCOL, SECURITY, LOGISTICS, ACCREDITATION)
SENSITIVE_PERMISSION = "delegations.view_sensitive_person"

_PLANNER_MODELS = [
    "events.event",
    "events.venue",
    "events.room",
    "events.transfertime",
    "events.session",
    "delegations.partner",
    "delegations.delegation",
    "delegations.person",
    "delegations.travel",
    "delegations.accreditation",
    "protocol.securityzone",
    "protocol.team",
    "protocol.bilateralmeeting",
    "protocol.bilateralwindow",
    "protocol.protocoltask",
]
# The business forum's matchmaking (issue 17): participants, tables, slots and requests are edited and imported;
# meetings and runs are made by the planner (runs are read-only, meetings come from publishing).
_FORUM_MODELS = {
    "matchmaking.participant": "vacd",
    "matchmaking.meetingtable": "vacd",
    "matchmaking.forumslot": "vacd",
    "matchmaking.meetingrequest": "vacd",
    "matchmaking.forummeeting": "v",
    "matchmaking.forumrun": "v",
}
_BEAT_MODELS = [
    "django_celery_beat.periodictask",
    "django_celery_beat.intervalschedule",
    "django_celery_beat.crontabschedule",
    "django_celery_beat.clockedschedule",
    "django_celery_beat.solarschedule",
]

ROLE_MODEL_PERMISSIONS: dict[str, dict[str, str]] = {
    ADMIN: {
        **dict.fromkeys(_PLANNER_MODELS, "vacd"),
        **dict.fromkeys(_BEAT_MODELS, "vacd"),
        "auth.user": "vacd",
        "delegations.liaisoninvitation": "vac",
        "auth.group": "v",
        "asemplanner.auditentry": "v",
        "events.conflict": "vc",
        "asemplanner.notification": "vc",
        "reminders.deadline": "vacd",
        "reminders.reminderrule": "vacd",
        "reminders.reminder": "vc",
        "badges.devicetoken": "vad",
        "badges.printrecord": "v",
        "badges.scanlog": "v",
        "delegations.zonerule": "vacd",
        # Sign-in: lockouts (deleting one unlocks) and who has a second factor (reset is a user action).
        "axes.accessattempt": "vd",
        "otp_totp.totpdevice": "v",
        "otp_static.staticdevice": "v",
        "planning.disruption": "vc",  # issue 15: a principal's moved travel; opened by the system, acted on by staff
        "events.roomoutage": "vac",  # issue 15: rooms out of service; lifted, never deleted (kept on record)
        **_FORUM_MODELS,
    },
    PROTOCOL: {
        "events.event": "v",
        "events.venue": "v",
        "events.room": "v",
        "events.transfertime": "v",
        "events.session": "vac",
        "delegations.partner": "v",
        "delegations.delegation": "vc",
        "delegations.liaisoninvitation": "vac",
        "delegations.person": "v",
        "delegations.travel": "vc",  # on the day: flights marked landed, delayed, at hotel (admin:flights)
        "delegations.accreditation": "v",
        "protocol.team": "vac",
        "protocol.bilateralmeeting": "vacd",
        "protocol.bilateralwindow": "vacd",
        "protocol.protocoltask": "vacd",
        "protocol.securityzone": "v",
        "asemplanner.auditentry": "v",
        "events.conflict": "vc",
        "asemplanner.notification": "vc",
        "reminders.deadline": "vac",
        "reminders.reminderrule": "vac",
        "reminders.reminder": "vc",
        "planning.disruption": "vc",  # publish the re-plan, close
        "events.roomoutage": "v",  # sees the rooms out of service and what they hit
        **_FORUM_MODELS,  # issue 17: the business forum's matchmaking is run by the protocol office
    },
    SECURITY: {
        "events.event": "v",
        "events.venue": "v",
        "events.room": "vc",
        "events.session": "v",
        "delegations.partner": "v",
        "delegations.delegation": "v",
        "delegations.person": "vc",
        "delegations.travel": "v",
        "delegations.accreditation": "vc",
        "protocol.securityzone": "vacd",
        "delegations.zonerule": "vacd",
        "badges.scanlog": "v",
        "badges.devicetoken": "vad",  # checkpoint tokens for their gates
        "protocol.team": "v",
        "protocol.protocoltask": "vac",
        "asemplanner.auditentry": "v",
        "events.conflict": "vc",
        "asemplanner.notification": "vc",
        "reminders.reminder": "v",
        "planning.disruption": "v",  # sees the late arrivals and what they break
        "events.roomoutage": "v",
    },
    LOGISTICS: {
        "events.event": "v",
        "events.venue": "vacd",
        "events.room": "vacd",
        "events.transfertime": "vacd",
        "events.session": "vacd",
        "delegations.partner": "v",
        "delegations.delegation": "v",
        "delegations.person": "v",
        "delegations.travel": "vac",
        "protocol.team": "vac",
        "protocol.protocoltask": "vac",
        "protocol.securityzone": "v",
        "asemplanner.auditentry": "v",
        "events.conflict": "vc",
        "asemplanner.notification": "vc",
        "reminders.reminder": "v",
        "events.roomoutage": "vac",  # takes a room out of service, relocates what it hit, puts it back
    },
    ACCREDITATION: {
        "events.event": "v",
        "delegations.partner": "v",
        "delegations.delegation": "vc",
        "delegations.person": "vac",
        "delegations.accreditation": "vacd",
        "protocol.securityzone": "v",
        "asemplanner.auditentry": "v",
        "asemplanner.notification": "vc",
        "reminders.deadline": "v",
        "reminders.reminder": "v",
        "badges.devicetoken": "vad",
        "badges.printrecord": "v",
        "delegations.zonerule": "v",
    },
    LIAISON: {},
}
PRINT_TOKENS, CHECKPOINT_TOKENS = "badges.issue_print_token", "badges.issue_checkpoint_token"
ROLE_EXTRA_PERMISSIONS: dict[str, list[str]] = {
    ADMIN: [PRINT_TOKENS, CHECKPOINT_TOKENS],
    SECURITY: [SENSITIVE_PERMISSION, CHECKPOINT_TOKENS],
    ACCREDITATION: [SENSITIVE_PERMISSION, PRINT_TOKENS, CHECKPOINT_TOKENS],
}
_ACTIONS = {"v": "view", "a": "add", "c": "change", "d": "delete"}


def role_permissions(role: str) -> set[str]:
    """'app_label.codename' strings for a role."""
    perms = {
        f"{model.split('.')[0]}.{_ACTIONS[letter]}_{model.split('.')[1]}"
        for model, letters in ROLE_MODEL_PERMISSIONS[role].items()
        for letter in letters
    }
    return perms | set(ROLE_EXTRA_PERMISSIONS.get(role, []))


def roles_sync(group_model, permission_model, *, strict: bool = True, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Create the role groups and set exactly their permissions. Returns {role: number of permissions}.

    strict=False grants the permissions that exist and skips the others: the post-migrate step uses it, as
    after a partial `migrate` the apps not yet migrated have no permissions."""
    existing = {
        f"{perm.content_type.app_label}.{perm.codename}": perm
        for perm in permission_model.objects.using(using).select_related("content_type")
    }
    counts = {}
    for role in ROLE_MODEL_PERMISSIONS:
        group, _ = group_model.objects.using(using).get_or_create(name=role)
        wanted = role_permissions(role)
        perms = [existing[name] for name in sorted(wanted & existing.keys())]
        missing = wanted - existing.keys()
        if missing and strict:
            raise LookupError(f"Permissions missing for role {role}: {sorted(missing)}")
        group.permissions.set(perms)
        counts[role] = len(perms)
    return counts
