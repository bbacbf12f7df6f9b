"""Inbox notices: staff read theirs in the admin, liaisons on /inbox/; mailed too where configured
(PLANNER_NOTIFY_BY_EMAIL).

A notice is stored in its recipient's language: pass `title` and `body` as functions (no arguments) that
word the text, and each is called once per recipient with that recipient's language active (one more query
for the batch). Plain strings are stored as given, for everyone."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.utils import timezone, translation

from asemplanner.i18n import languages_of
from asemplanner.models import Notification

Text = str | Callable[[], str]

log = logging.getLogger(__name__)


def notify_roles(*, roles: list[str], topic: str, title: Text, body: Text = "", link: str = "") -> int:
    """One notice per active staff member of these roles per topic (a repeat of the topic adds nothing).
    Returns how many new notices were made."""
    users = get_user_model().objects.filter(is_active=True, is_staff=True, groups__name__in=roles).distinct()
    return notify_users(users=users, topic=topic, title=title, body=body, link=link)


def notify_users(*, users, topic: str, title: Text, body: Text = "", link: str = "", mail: bool | None = None) -> int:
    """One notice per active user per topic, in their inbox (the admin's for staff, /inbox/ for liaisons), and
    mailed when `mail` is true (default: PLANNER_NOTIFY_BY_EMAIL). Returns how many new notices were made."""
    users = [user for user in users if user.is_active]
    existing = set(Notification.objects.filter(topic=topic, recipient__in=users).values_list("recipient_id", flat=True))
    fresh = [user for user in users if user.pk not in existing]
    worded = _worded(fresh, title, body)
    Notification.objects.bulk_create(
        [Notification(recipient=u, topic=topic, title=worded[u.pk][0], body=worded[u.pk][1], link=link) for u in fresh],
        ignore_conflicts=True,
    )
    if settings.PLANNER_NOTIFY_BY_EMAIL if mail is None else mail:
        addressed = [u for u in fresh if u.email]
        if addressed:
            try:
                # One message per person: recipients never see each other's addresses.
                send_mass_mail([(worded[u.pk][0], f"{worded[u.pk][1]}\n\n{link}", None, [u.email]) for u in addressed])
            except OSError:
                # The inbox already holds the notice; a mail outage must not lose it or fail the caller.
                log.warning("could not mail notice %s to %d recipient(s)", topic, len(addressed))
    return len(fresh)


def _worded(users, title: Text, body: Text) -> dict[int, tuple[str, str]]:
    """Each recipient's title and body: worded once per language spoken among them when given as functions (one
    query for the languages), as given otherwise."""
    if not (callable(title) or callable(body)):
        return {u.pk: (str(title), str(body)) for u in users}
    languages = languages_of(u.pk for u in users) if users else {}
    by_language: dict[str, tuple[str, str]] = {}
    for language in sorted(set(languages.values())):
        with translation.override(language):
            by_language[language] = (title() if callable(title) else title, body() if callable(body) else body)
    return {user.pk: by_language[languages[user.pk]] for user in users}


def notifications_mark_read(*, queryset) -> int:
    return queryset.filter(read_at__isnull=True).update(read_at=timezone.now())
