from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AsemplannerConfig(AppConfig):
    """Shared bits: the audit trail and the staff roles."""

    default = True
    name = "asemplanner"
    verbose_name = "Planner"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # post_migrate is sent once per installed app; sender=self runs the step once per migrate (and per
        # flush). The step creates every app's permissions itself first: Django's own handler does that app
        # by app, and the apps listed after this one have not had their turn yet.
        post_migrate.connect(bootstrap_after_migrate, sender=self, dispatch_uid="asemplanner.bootstrap")


def bootstrap_after_migrate(sender, *, using, verbosity=1, apps=None, **kwargs) -> None:
    """The roles and the beat schedules, after every migrate (`apps` is the migrated state; flush sends none)."""
    from django.apps import apps as global_apps

    from asemplanner.domain.bootstrap import planner_bootstrap

    planner_bootstrap(apps=apps or global_apps, using=using, verbosity=verbosity)
