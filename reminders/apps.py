from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "Reminders and deadlines"

    def ready(self) -> None:
        from asemplanner.domain.changes import subscribe
        from reminders.domain.triggers import on_writes

        subscribe(on_writes)
