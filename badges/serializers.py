"""The API's shapes, for the OpenAPI document and input checks. Output is built as plain dicts of these fields
(badges/domain/badges.py); the schema tests hold the two together."""

from __future__ import annotations

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import serializers

from asemplanner.choices import Category
from delegations.models import Accreditation


class StrictCharField(serializers.CharField):
    """Only JSON strings: DRF would turn 0 or true into "0" / "True" and accept them."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictRegexField(serializers.RegexField):
    """A JSON string matching a pattern (which the OpenAPI document states)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


BADGE_NUMBER = r"^[A-Za-z0-9-]{1,20}$"
PARTNER_CODE = r"^[A-Za-z0-9]{1,10}$"
QR_TEXT = r"^[A-Za-z0-9_:.\-]{1,500}$"


class StrictIntegerField(serializers.IntegerField):
    """Only JSON integers: not "1", not 1.0, not true."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. token_revoked, bad_cursor.")
    message = serializers.CharField(help_text="What is wrong and what is allowed, for people.")
    # The error body's key is "fields". SerializerMetaclass moves declared fields off the class, so this does
    # not replace Serializer.fields at runtime; the stubs cannot see that.
    fields = serializers.DictField(  # type: ignore[assignment]  # why: DRF metaclass pops declared fields
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per parameter or body field: its messages.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class BadgeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    badge_number = serializers.CharField()
    version = serializers.IntegerField(help_text="Raised by every reprint; only the current version verifies.")
    status = serializers.ChoiceField(choices=[str(s) for s in Accreditation.HAS_BADGE])
    category = serializers.ChoiceField(choices=Category.values)
    colour = serializers.CharField(help_text="The category's colour band, #rrggbb.")
    event = serializers.CharField()
    honorific = serializers.CharField(allow_blank=True)
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    native_name = serializers.CharField(
        allow_blank=True, help_text="The name in the holder's own script (Khmer, Chinese, Thai, …), or empty."
    )
    function = serializers.CharField(allow_blank=True)
    delegation = serializers.CharField()
    partner_code = serializers.CharField()
    zones = serializers.ListField(child=serializers.CharField(), help_text="Security zone codes, lowest level first.")
    has_photo = serializers.BooleanField()
    seq = serializers.IntegerField(help_text="Change-feed position of the badge's latest change.")


class BadgePageSerializer(serializers.Serializer):
    results = BadgeSerializer(many=True)
    next = serializers.URLField(
        allow_null=True,
        help_text="The URL of the next page: GET it as it is (same token). Present on every page, null on the last.",
    )


class FeedChangeSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    type = serializers.ChoiceField(choices=["badge", "tombstone"], help_text="tombstone: revoked, stop printing it.")
    badge_number = serializers.CharField(allow_null=True)
    badge = BadgeSerializer(allow_null=True)


class FeedSerializer(serializers.Serializer):
    cursor = serializers.IntegerField(help_text="Send it back as `cursor` for the changes after these.")
    more = serializers.BooleanField(help_text="True when more changes wait: pull again at once.")
    next = serializers.URLField(
        allow_null=True,
        help_text="When `more`: the URL of the next pull (GET it as it is). Null when nothing more waits: then poll "
        "later with `cursor`.",
    )
    changes = FeedChangeSerializer(many=True)


class PrintInputSerializer(serializers.Serializer):
    version = StrictIntegerField(
        min_value=1, max_value=32767, help_text="The version printed (the badge's current one)."
    )
    printed_at = serializers.DateTimeField(help_text="When it was printed, ISO 8601 with a time zone.")

    def validate_printed_at(self, value):
        raw = self.initial_data.get("printed_at") if isinstance(self.initial_data, dict) else None
        parsed = parse_datetime(raw) if isinstance(raw, str) else None
        if parsed is not None and parsed.tzinfo is None:
            raise serializers.ValidationError(
                _("Give the time zone too, e.g. 2026-11-15T09:30:00+07:00: stations may not share the planner's zone.")
            )
        return value


class PrintRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    badge_number = serializers.CharField()
    version = serializers.IntegerField()
    printed_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()
    station = serializers.CharField()


class BatchInputSerializer(serializers.Serializer):
    """The selection: every badge of the token's event, narrowed by either or both fields; at most 500."""

    badge_numbers = serializers.ListField(
        child=StrictRegexField(BADGE_NUMBER), required=False, min_length=1, max_length=200, help_text="1 to 200."
    )
    delegation = StrictRegexField(PARTNER_CODE, required=False, help_text="A partner code, e.g. FRA.")


class VerifyInputSerializer(serializers.Serializer):
    payload = StrictRegexField(QR_TEXT, help_text="The text of the badge's QR code.")


class VerdictSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    status = serializers.ChoiceField(choices=["current", "superseded", "revoked", "unknown", "forged"])
    badge_number = serializers.CharField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    current_version = serializers.IntegerField(allow_null=True)


class ScanInputSerializer(serializers.Serializer):
    """For the OpenAPI document: the view reads the body itself, so that a bad QR is a denied scan, not a 400."""

    payload = serializers.CharField(
        allow_blank=True, help_text="The text of the scanned QR code, as read. Empty, long or odd text is denied."
    )


class HolderSerializer(serializers.Serializer):
    honorific = serializers.CharField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    function = serializers.CharField()
    delegation = serializers.CharField(allow_null=True)
    partner_code = serializers.CharField(allow_null=True)
    category = serializers.ChoiceField(choices=Category.choices)
    category_label = serializers.CharField()
    colour = serializers.CharField()
    photo_url = serializers.URLField(allow_null=True, help_text="GET it with the same token.")


class ScanSerializer(serializers.Serializer):
    scan_id = serializers.IntegerField()
    result = serializers.ChoiceField(choices=["allowed", "denied"])
    reason = serializers.ChoiceField(
        choices=["revoked", "superseded", "wrong_zone", "wrong_event", "forged", "unknown", "malformed"],
        allow_null=True,
        help_text="null when allowed.",
    )
    message = serializers.CharField(help_text="What to tell the guard, in English.")
    badge_number = serializers.CharField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    zone = serializers.CharField(help_text="The token's zone code, e.g. Z3.")
    zone_name = serializers.CharField()
    scanned_at = serializers.DateTimeField()
    holder = HolderSerializer(
        allow_null=True, help_text="Who the badge is for, if it is a genuine badge of this event; never passport data."
    )
