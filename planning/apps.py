from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    """What reads across the apps: conflict gathering and checks, timeline, programme, postponement, the
    bilateral scheduling runs, the admin overview."""

    name = "planning"
    verbose_name = _("Planning")

    def ready(self) -> None:
        # Loaded once the models are: the follow-ups name model classes.
        from asemplanner.domain.changes import subscribe
        from planning.domain import disruptions
        from planning.domain.conflict_triggers import ROUTES, on_changes

        subscribe(
            ROUTES,
            on_changes,
            does="re-checks the clashes of (task `planning.check_pending_conflicts`, after commit, debounced; new "
            "errors notify the responsible roles)",
        )
        subscribe(disruptions.ROUTES, disruptions.on_changes, does=disruptions.DOES)
