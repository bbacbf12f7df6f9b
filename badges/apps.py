from django.apps import AppConfig


class BadgesConfig(AppConfig):
    name = "badges"
    verbose_name = "Badges and print stations"

    def ready(self) -> None:
        from asemplanner.domain.changes import subscribe
        from badges.domain.feed import on_writes

        subscribe(on_writes)
