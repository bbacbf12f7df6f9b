"""The business forum's portal forms: they parse what the browser sent; matchmaking's domain validates."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from asemplanner.forms import form_field
from matchmaking.models import ForumSlot, MeetingRequest, Participant
from matchmaking.validators import PRIORITY_MAX, PRIORITY_MIN
from portal.forms import DomainModelForm


class ParticipantForm(DomainModelForm):
    """A participant of the liaison's delegation, and the slots it cannot meet in."""

    unavailable = forms.ModelMultipleChoiceField(
        queryset=ForumSlot.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Not available in these slots"),
        help_text=gettext_lazy(
            "Tick the slots this participant cannot meet in; leave all clear if it can meet any time."
        ),
    )

    class Meta:
        model = Participant
        fields = ["kind", "organisation", "name", "sector", "profile", "email", "active"]
        widgets = {"profile": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        unavailable = form_field(self.fields, "unavailable", forms.ModelMultipleChoiceField)
        unavailable.queryset = ForumSlot.objects.filter(event=event).order_by("start")
        if self.instance.pk:
            unavailable.initial = list(self.instance.unavailable.values_list("pk", flat=True))


class MeetingRequestForm(forms.ModelForm):
    priority = forms.TypedChoiceField(
        coerce=int,
        choices=[(n, n) for n in range(PRIORITY_MAX, PRIORITY_MIN - 1, -1)],
        initial=3,
        label=gettext_lazy("Priority"),
        help_text=gettext_lazy("5: must meet, 1: nice to meet. The organisers place higher priorities first."),
    )

    class Meta:
        model = MeetingRequest
        fields = ["priority", "message"]
        widgets = {"message": forms.Textarea(attrs={"rows": 3})}

    def _post_clean(self) -> None:  # the domain validates (matchmaking.domain.forum.meeting_request_send)
        return None
