from django.apps import AppConfig


class AsemplannerConfig(AppConfig):
    """Shared bits: the audit trail and the staff roles."""

    default = True
    name = "asemplanner"
    verbose_name = "Planner"
    default_auto_field = "django.db.models.BigAutoField"
