from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The liaison portal: web forms over the delegations' and protocol's domain functions."""

    name = "portal"
    verbose_name = "Liaison portal"
