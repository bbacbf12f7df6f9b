"""Thin Celery tasks: an explicit name, primitive arguments, one domain call."""

from celery import shared_task

from events.domain.health import health_report


@shared_task(name="events.healthcheck", ignore_result=False)
def healthcheck() -> dict[str, object]:
    """Round trip web → broker → worker → database; `celery -A config call events.healthcheck`."""
    return health_report()
