"""Choices shared across apps (no model imports, so any app's models may use them)."""

from django.db import models


class Category(models.TextChoices):
    """Accreditation category: decides the badge colour and, through the zone map, where one may go."""

    PRINCIPAL = "principal", "Head of delegation"
    DELEGATE = "delegate", "Delegate"
    SECURITY = "security", "Security officer"
    MEDIA = "media", "Media"
    LIAISON = "liaison", "Liaison officer"
    SUPPORT = "support", "Support staff"
    HOST = "host", "Host organising staff"


class Rank(models.IntegerChoices):
    """Protocol rank; lower sorts first in the order of precedence."""

    HEAD_OF_STATE = 10, "Head of state"
    HEAD_OF_GOVERNMENT = 20, "Head of government"
    VICE = 30, "Vice head of state or government"
    MINISTER = 40, "Minister"
    SENIOR_OFFICIAL = 50, "Senior official"
    OTHER = 90, "Other"


# What a delegation's liaison may choose: host organising staff are the committee's own people, accredited by
# the organisers, never listed by a delegation.
LIAISON_CATEGORIES = [(value, label) for value, label in Category.choices if value != Category.HOST]
