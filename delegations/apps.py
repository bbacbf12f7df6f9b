from django.apps import AppConfig


class DelegationsConfig(AppConfig):
    name = "delegations"
    verbose_name = "Delegations"

    def ready(self) -> None:
        # Travel lives here, so the hook that re-generates protocol tasks when it changes is registered here.
        from asemplanner.domain.changes import subscribe
        from protocol.domain.task_generation import on_writes

        subscribe(on_writes)
