from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class ProtocolConfig(AppConfig):
    name = "protocol"
    verbose_name = gettext_lazy("Protocol and security")

    def ready(self) -> None:
        # Loaded once the models are: the follow-ups name model classes.
        from asemplanner.domain.changes import subscribe
        from protocol.domain.task_generation import ROUTES, on_changes

        subscribe(
            ROUTES,
            on_changes,
            does="re-generates the travel and bilateral protocol tasks of (task `protocol.generate_tasks`, after "
            "commit; only events generated once)",
        )
