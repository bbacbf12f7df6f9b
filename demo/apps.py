from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The ASEM13 demo data: `manage.py seed_asem13`."""

    name = "demo"
    verbose_name = "Demo data"
