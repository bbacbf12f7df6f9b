from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events and programme"

    def ready(self) -> None:
        from asemplanner.domain.changes import subscribe
        from events.domain.conflict_triggers import on_writes

        subscribe(on_writes)
