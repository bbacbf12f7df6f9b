from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PlannerAdminConfig(admin_apps.AdminConfig):
    """The Django admin, with a site whose index leads with the summit."""

    default = False
    default_site = "asemplanner.admin_site.PlannerAdminSite"


class AsemplannerConfig(AppConfig):
    """Shared bits: the audit trail and the staff roles."""

    default = True
    name = "asemplanner"
    verbose_name = "Planner"
    default_auto_field = "django.db.models.BigAutoField"
