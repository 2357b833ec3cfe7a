import re

from django import forms

from accounts.forms import offer_resellers, reseller_field
from config.limits import (
    ALLOWED_TAGS_MAX,
    DID_ALLOWANCE_MAX,
    DID_ALLOWANCE_MIN,
    HOLD_DAYS_MAX,
    HOLD_DAYS_MIN,
    TAG_MAX,
    range_message,
)
from core.forms import ServiceErrorMixin, name_field

from .models import Package

_ALLOWANCE = range_message("DID allowance", DID_ALLOWANCE_MIN, DID_ALLOWANCE_MAX)
_HOLD_DAYS = range_message("Hold days", HOLD_DAYS_MIN, HOLD_DAYS_MAX)
_SPLIT = re.compile(r"[\s,;]+")


class PackageForm(ServiceErrorMixin, forms.Form):
    """New / Edit Package. The reseller is chosen on creation only (admins pick any, a
    reseller user gets their own); a package's subscriptions tie it to its reseller."""

    name = name_field("package")
    did_allowance = forms.IntegerField(
        label="DID allowance",
        min_value=DID_ALLOWANCE_MIN,
        max_value=DID_ALLOWANCE_MAX,
        initial=1,
        help_text="How many DIDs one subscription to this package may hold.",
        error_messages={
            "required": "DID allowance: enter how many DIDs the package allows.",
            "invalid": "DID allowance: enter a whole number.",
            "min_value": _ALLOWANCE,
            "max_value": _ALLOWANCE,
        },
    )
    allowed_tags = forms.CharField(
        label="Allowed tags",
        required=False,
        help_text="DID tags separated by commas or spaces; empty = any tag.",
    )
    hold_days = forms.IntegerField(
        label="Hold days",
        min_value=HOLD_DAYS_MIN,
        max_value=HOLD_DAYS_MAX,
        initial=30,
        help_text="Days a DID stays On Hold after the subscription ends (unless the DID sets "
        "its own).",
        error_messages={
            "required": "Hold days: enter the number of days.",
            "invalid": "Hold days: enter a whole number.",
            "min_value": _HOLD_DAYS,
            "max_value": _HOLD_DAYS,
        },
    )
    reseller = reseller_field("package")
    archived = forms.BooleanField(
        label="Archived",
        required=False,
        help_text="An archived package takes no new subscriptions; its subscriptions go on.",
    )

    def __init__(self, *args, user, instance: Package | None = None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "did_allowance": instance.did_allowance,
                "allowed_tags": ", ".join(instance.allowed_tags),
                "hold_days": instance.hold_days,
                "archived": instance.archived,
            }
        super().__init__(*args, **kwargs)
        self.instance = instance
        if instance is not None:
            del self.fields["reseller"]
            return
        del self.fields["archived"]  # a new package is not archived
        offer_resellers(self.fields["reseller"], user)

    def clean_allowed_tags(self) -> list[str]:
        text = self.cleaned_data.get("allowed_tags") or ""
        tags = list(dict.fromkeys(t for t in _SPLIT.split(text.strip()) if t))
        too_long = [t for t in tags if len(t) > TAG_MAX]
        if too_long:
            raise forms.ValidationError(
                f"Allowed tags: “{too_long[0][:TAG_MAX]}…” is longer than {TAG_MAX} characters."
            )
        if len(tags) > ALLOWED_TAGS_MAX:
            raise forms.ValidationError(f"Allowed tags: at most {ALLOWED_TAGS_MAX:,} tags.")
        return tags
