"""What a worker can see: proves the broker, the worker and the database are wired together."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from events.models import Event


def health_report() -> dict[str, object]:
    return {
        "database": connection.vendor,
        "events": Event.objects.count(),
        "checked_at": timezone.now().isoformat(),
    }
