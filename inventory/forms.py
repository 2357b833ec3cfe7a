from __future__ import annotations

import datetime as dt

from django import forms

from accounts.tenancy import scoped
from clients.models import Account
from config.limits import (
    HOLD_DAYS_MAX,
    HOLD_DAYS_MIN,
    NOTES_MAX,
    TAG_MAX,
    length_message,
    range_message,
)
from core.forms import ServiceErrorMixin, choice_field
from operators.models import Operator
from subscriptions.models import Subscription

from . import lifecycle
from .assigning import ASSIGN_MAX
from .choices import AfterHold, Status
from .models import DID
from .numbers import NumberSpecError, parse
from .selectors import used_per_subscription

INITIAL_CHOICES = [(s.value, s.label) for s in Status if s in lifecycle.INITIAL]


class NewDIDsForm(forms.Form):
    numbers = forms.CharField(
        label="DID(s)",
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "4155550100, 4155550200-4155550299"}
        ),
        help_text="Numbers and ranges separated by commas, spaces or new lines, e.g. 111-222.",
    )
    operator = forms.ModelChoiceField(queryset=Operator.objects.none(), label="Operator")
    status = forms.ChoiceField(choices=INITIAL_CHOICES, initial=Status.IN_STOCK, label="Status")
    after_hold = forms.ChoiceField(
        choices=AfterHold.choices, initial=AfterHold.IN_STOCK, label="After Hold"
    )
    tag = forms.CharField(
        max_length=TAG_MAX,
        required=False,
        label="Tag",
        error_messages={"max_length": length_message("Tag", TAG_MAX)},
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=NOTES_MAX,
        required=False,
        label="Notes",
        error_messages={"max_length": length_message("Notes", NOTES_MAX)},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].queryset = scoped(
            Operator.objects.select_related("reseller"), user
        ).order_by("name")
        self.fields["operator"].label_from_instance = lambda op: (
            f"{op.name} ({op.reseller.name})" if user.is_platform_admin else op.name
        )

    def clean_numbers(self):
        try:
            self.spec = parse(self.cleaned_data["numbers"])
        except NumberSpecError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return self.cleaned_data["numbers"]


class DIDEditForm(forms.ModelForm):
    """Plain fields of one DID. Its status changes only through the legal moves.

    It carries the version it shows (the row's ``updated_at``, hidden), so that a save from a
    page opened before someone else's change is refused instead of undoing that change, and
    it writes only the fields the user changed (``new_status``, ``changes``).
    """

    status = forms.ChoiceField(label="Status")
    updated_at = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = DID
        fields = ["operator", "after_hold_status", "tag", "notes", "hold_days"]
        labels = {"after_hold_status": "After Hold", "hold_days": "Hold days"}
        help_texts = {"hold_days": "Empty: the package's hold days apply."}
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        # The bounds themselves come from the model (config.limits); these name the field.
        error_messages = {
            "tag": {"max_length": length_message("Tag", TAG_MAX)},
            "notes": {"max_length": length_message("Notes", NOTES_MAX)},
            "hold_days": {
                "min_value": range_message("Hold days", HOLD_DAYS_MIN, HOLD_DAYS_MAX),
                "max_value": range_message("Hold days", HOLD_DAYS_MIN, HOLD_DAYS_MAX),
                "invalid": "Hold days: enter a whole number of days.",
            },
        }

    field_order = ["status", "operator", "after_hold_status", "tag", "notes", "hold_days"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        did = self.instance
        self.fields["operator"].queryset = Operator.objects.filter(reseller_id=did.reseller_id)
        self.fields["operator"].empty_label = None
        current = Status(did.status)
        self.fields["status"].choices = [(current.value, f"{current.label} (current)")] + [
            (s.value, s.label) for s in lifecycle.manual_targets(current)
        ]
        self.fields["status"].initial = current.value
        self.fields["updated_at"].initial = did.updated_at.isoformat() if did.updated_at else ""

    def clean_updated_at(self):
        value = self.cleaned_data.get("updated_at") or ""
        try:
            seen = dt.datetime.fromisoformat(value)
        except ValueError:
            seen = None
        if seen is None or seen.tzinfo is None:
            raise forms.ValidationError(
                "This page is out of date; reload it to see the DID as it is now."
            )
        return seen

    # The form's initial values are the DID as it is now; the service refuses the save unless
    # the row is still the version the page showed, so "changed from the initial value" is
    # "changed by this user" (comparing with the current row instead would write back what
    # the page showed over someone else's change).
    def new_status(self) -> str | None:
        """The status the user chose, or None when they left it as it was."""
        return self.cleaned_data["status"] if "status" in self.changed_data else None

    def changes(self) -> dict:
        """The plain fields the user changed, as ``services.update_dids`` takes them."""
        data = self.cleaned_data
        out = {}
        for name in self.changed_data:
            if name == "operator":
                out["operator_id"] = data["operator"].pk
            elif name == "tag":
                out["tag"] = data["tag"].strip()
            elif name in ("after_hold_status", "notes", "hold_days"):
                out[name] = data[name]
        return out


class AssignForm(forms.Form):
    account = forms.ModelChoiceField(queryset=Account.objects.none(), label="Account")

    def __init__(self, *args, did, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = (
            Account.objects.filter(client__reseller_id=did.reseller_id)
            .select_related("client")
            .order_by("client__name", "name")
        )


BLANK = [("", "— no change —")]


class MassEditForm(forms.Form):
    set_status = forms.ChoiceField(
        choices=BLANK + list(Status.choices), required=False, label="Set Status to"
    )
    after_hold = forms.ChoiceField(
        choices=BLANK + list(AfterHold.choices), required=False, label="After Hold"
    )
    # The view puts "Mass Edit: <label>: " in front of these messages.
    tag = forms.CharField(
        max_length=TAG_MAX,
        required=False,
        label="Tag",
        error_messages={"max_length": f"at most {TAG_MAX:,} characters."},
    )
    clear_tag = forms.BooleanField(required=False, label="Clear tag")
    notes = forms.CharField(
        required=False,
        max_length=NOTES_MAX,
        label="Notes",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": f"at most {NOTES_MAX:,} characters."},
    )
    clear_notes = forms.BooleanField(required=False, label="Clear notes")
    hold_days = forms.IntegerField(
        min_value=HOLD_DAYS_MIN,
        max_value=HOLD_DAYS_MAX,
        required=False,
        label="Hold days",
        error_messages={
            "min_value": f"enter a whole number from {HOLD_DAYS_MIN:,} to {HOLD_DAYS_MAX:,}.",
            "max_value": f"enter a whole number from {HOLD_DAYS_MIN:,} to {HOLD_DAYS_MAX:,}.",
            "invalid": "enter a whole number of days.",
        },
    )
    clear_hold_days = forms.BooleanField(required=False, label="Use package hold days")
    # Move DIDs to another operator of the same reseller: the choices are the user's own
    # operators; a DID of another reseller than the operator's is refused (counted on the
    # confirmation, left unchanged).
    operator = forms.ModelChoiceField(
        queryset=Operator.objects.none(),
        required=False,
        label="Operator",
        error_messages={"invalid_choice": "choose one of the operators in the list."},
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["operator"].queryset = scoped(Operator.objects.all(), user)

    def changes(self) -> dict:
        data = self.cleaned_data
        out = {}
        if data.get("operator") is not None:
            out["operator_id"] = data["operator"].pk
        if data.get("after_hold"):
            out["after_hold_status"] = data["after_hold"]
        if data.get("clear_tag"):
            out["tag"] = ""
        elif data.get("tag"):
            out["tag"] = data["tag"].strip()
        if data.get("clear_notes"):
            out["notes"] = ""
        elif data.get("notes"):
            out["notes"] = data["notes"]
        if data.get("clear_hold_days"):
            out["hold_days"] = None
        elif data.get("hold_days") is not None:
            out["hold_days"] = data["hold_days"]
        return out

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("set_status") and not self.changes():
            raise forms.ValidationError(
                "Choose at least one change: Set Status to, After Hold, Tag, Notes, Hold days "
                "or Operator."
            )
        return data


# --------------------------------------------------------------- Assign DIDs (a client's DIDs tab)


class StockSearchForm(forms.Form):
    """Searching the reseller's In Stock DIDs to tick on the DIDs tab."""

    prefix = forms.RegexField(
        label="DID prefix",
        regex=r"^\+?[0-9]*$",
        required=False,
        max_length=32,
        error_messages={"invalid": "DID prefix: digits only, with an optional leading +."},
    )
    tag = forms.CharField(label="Tag", required=False, max_length=64)


class IdListField(forms.Field):
    """The ticked DIDs: any number of ``ids`` values, each an integer."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            return sorted({int(v) for v in value or []})
        except (TypeError, ValueError):
            raise forms.ValidationError("DIDs: a ticked DID is not valid.") from None


class ClientDIDsMoveForm(forms.Form):
    """Several ticked DIDs of a client's DIDs tab, and the move to make (``BULK_MOVES``)."""

    BULK_MOVES = [
        ("block", "Block", "Blocked"),
        ("activate", "Activate", "activated"),
        ("hold", "Hold", "put On Hold"),
        ("release", "Release", "released"),
    ]

    action = forms.ChoiceField(
        label="Action",
        choices=[(a, label) for a, label, _done in BULK_MOVES],
        error_messages={
            "required": "Action: choose Block, Activate, Hold or Release now.",
            "invalid_choice": "Action: choose Block, Activate, Hold or Release now.",
        },
    )
    ids = IdListField(label="DIDs", required=False)

    def clean_ids(self):
        ids = self.cleaned_data["ids"]
        if not ids:
            raise forms.ValidationError("DIDs: tick at least one DID.")
        if len(ids) > ASSIGN_MAX or any(not 0 < i < 2**63 for i in ids):
            raise forms.ValidationError(f"DIDs: tick at most {ASSIGN_MAX:,} DIDs at once.")
        return ids

    @property
    def done(self) -> str:
        return {a: past for a, _label, past in self.BULK_MOVES}[self.cleaned_data["action"]]


class AssignDIDsForm(ServiceErrorMixin, forms.Form):
    """Assign DIDs to one of the client's accounts under one of its active subscriptions:
    the ticked In Stock DIDs and/or numbers and ranges typed in the DID(s) field."""

    account = choice_field(
        "Account",
        required="choose the account to assign the DIDs to.",
        invalid="choose one of this client's accounts.",
    )
    subscription = choice_field(
        "Subscription",
        required="choose the client package the DIDs count against.",
        invalid="choose one of this client's active packages.",
    )
    ids = IdListField(label="DIDs", required=False)
    numbers = forms.CharField(
        label="DID(s)",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "4155550100, 4155550200-4155550209"}
        ),
        help_text="Numbers and ranges separated by commas, spaces or new lines, e.g. 111-222.",
    )

    def __init__(self, *args, user, client, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        self.spec = None
        accounts = scoped(
            Account.objects.select_related("client"), user, "client__reseller"
        ).filter(client=client)
        active = (
            scoped(Subscription.objects.select_related("package"), user, "client__reseller")
            .filter(client=client, status=Subscription.Status.ACTIVE)
            .order_by("id")
        )
        subs = list(active)
        used = used_per_subscription([s.pk for s in subs])
        labels = {
            s.pk: f"{s.package.name} (#{s.pk}, {used.get(s.pk, 0)} / {s.package.did_allowance} "
            "DIDs)"
            for s in subs
        }
        self.fields["account"].queryset = accounts.order_by("name", "id")
        only = list(accounts.order_by()[:2])
        if len(only) == 1:  # the only account is the one to assign to
            self.fields["account"].initial = only[0].pk
            self.fields["account"].empty_label = None
        self.subscriptions = subs
        for s in subs:
            s.used = used.get(s.pk, 0)
            s.full = s.used >= s.package.did_allowance
        self.fields["subscription"].queryset = active
        self.fields["subscription"].label_from_instance = lambda s: labels.get(s.pk, str(s))
        if len(subs) == 1:
            self.fields["subscription"].initial = subs[0].pk
            self.fields["subscription"].empty_label = None

    def chosen_subscription(self, raw):
        """The active subscription the tab works with: ``raw`` (a pk from the URL or the
        form) if it is one of them, else the first with room, else the first; None if none."""
        subs = self.subscriptions
        picked = next((s for s in subs if str(s.pk) == str(raw or "")), None)
        return picked or next((s for s in subs if not s.full), subs[0] if subs else None)

    def clean_numbers(self):
        text = self.cleaned_data.get("numbers") or ""
        if not text.strip():
            return ""
        try:
            self.spec = parse(text)
        except NumberSpecError as exc:
            raise forms.ValidationError(f"DID(s): {exc}") from exc
        return text

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("ids") and self.spec is None:
            raise forms.ValidationError("Tick at least one DID or type the numbers to assign.")
        return data
