"""Notices to users and staff roles rendered in each recipient's own language."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.utils import translation

from asemplanner.domain.notifications import notify_users


def notify_roles_each_language(
    *, roles: list[str], topic: str, render: Callable[[], tuple[str, str]], link: str
) -> int:
    """`notify_roles` with the title and body rendered in each recipient's language: `render()` is called once per
    language spoken among them (two queries to find the staff and their languages). Returns the new notices."""
    users = list(get_user_model().objects.filter(is_active=True, is_staff=True, groups__name__in=roles).distinct())
    return notify_users_each_language(users=users, topic=topic, render=render, link=link)


def notify_users_each_language(
    *, users: list, topic: str, render: Callable[[], tuple[str, str]], link: str = "", mail: bool | None = None
) -> int:
    """`notify_users` with the title and body rendered together in each recipient's language (`render()` once per
    language spoken among them; notify_users finds the languages in one query)."""
    rendered: dict[str | None, tuple[str, str]] = {}

    def part(index: int) -> Callable[[], str]:
        def worded() -> str:
            language = translation.get_language()
            if language not in rendered:
                rendered[language] = render()
            return rendered[language][index]

        return worded

    return notify_users(users=users, topic=topic, title=part(0), body=part(1), link=link, mail=mail)
