from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = _("Reminders and deadlines")

    def ready(self) -> None:
        # Loaded once the models are: the follow-ups name model classes.
        from asemplanner.domain.changes import subscribe
        from reminders.domain.triggers import ROUTES, on_changes

        subscribe(
            ROUTES,
            on_changes,
            does="re-plans the reminders of (after commit, in the request)",
        )
