from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class PortalConfig(AppConfig):
    """The liaison portal: web forms over the delegations' and protocol's domain functions."""

    name = "portal"
    verbose_name = gettext_lazy("Liaison portal")
