from django.contrib.admin import apps as admin_apps


class PlannerAdminConfig(admin_apps.AdminConfig):
    """The Django admin, with a site whose index leads with the summit."""

    default = False
    default_site = "config.admin_site.PlannerAdminSite"
