from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class DelegationsConfig(AppConfig):
    name = "delegations"
    verbose_name = gettext_lazy("Delegations")
