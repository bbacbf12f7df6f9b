from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class BadgesConfig(AppConfig):
    name = "badges"
    verbose_name = gettext_lazy("Badges and print stations")

    def ready(self) -> None:
        # Loaded once the models are: the follow-ups name model classes.
        from asemplanner.domain.changes import subscribe
        from badges.domain.feed import ROUTES, on_changes

        subscribe(
            ROUTES,
            on_changes,
            does="puts on the print stations' change feed (in the same transaction)",
        )
        from badges.domain import printability

        subscribe(
            printability.ROUTES,
            printability.on_changes,
            does="tells accreditation of a name no shipped font prints (after commit)",
        )
