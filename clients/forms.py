from django import forms
from django.db.models import Count

from accounts.tenancy import is_admin, resellers_for, scoped
from config.limits import NAME_MAX, length_message
from inventory.models import DID
from inventory.numbers import NumberSpecError, parse
from subscriptions.models import Subscription

from .models import Account


class ServiceErrorMixin:
    def add_service_error(self, message: str) -> None:
        """Put a service error under the field its message names ("Name: ..."), else on top."""
        for name, field in self.fields.items():
            if message.startswith(f"{field.label}:"):
                self.add_error(name, message)
                return
        self.add_error(None, message)


class ClientForm(ServiceErrorMixin, forms.Form):
    """New Client: a name and its reseller (a reseller user: their own only)."""

    name = forms.CharField(
        label="Name",
        max_length=NAME_MAX,
        error_messages={"max_length": length_message("Name", NAME_MAX)},
    )
    reseller = forms.ModelChoiceField(
        label="Reseller",
        queryset=None,
        error_messages={
            "required": "Reseller: choose the client's reseller.",
            "invalid_choice": "Reseller: choose one of the resellers in the list.",
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["reseller"]
        field.queryset = resellers_for(user)
        if not is_admin(user):
            field.empty_label = None
            field.initial = getattr(user, "reseller_id", None)
        self.fields["name"].error_messages["required"] = "Name: enter the client's name."


class AccountForm(ServiceErrorMixin, forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=NAME_MAX,
        help_text="Shown as “Client name | account_name”.",
        error_messages={
            "required": "Name: enter the account's name.",
            "max_length": length_message("Name", NAME_MAX),
        },
    )


class ClientSearchForm(forms.Form):
    q = forms.CharField(label="Name", required=False)
    reseller = forms.ModelChoiceField(
        label="Reseller", queryset=None, required=False, empty_label="Any"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if is_admin(user):
            self.fields["reseller"].queryset = resellers_for(user)
        else:
            del self.fields["reseller"]


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


class AssignDIDsForm(ServiceErrorMixin, forms.Form):
    """Assign DIDs to one of the client's accounts under one of its active subscriptions:
    the ticked In Stock DIDs and/or numbers and ranges typed in the DID(s) field."""

    account = forms.ModelChoiceField(
        label="Account",
        queryset=None,
        error_messages={
            "required": "Account: choose the account to assign the DIDs to.",
            "invalid_choice": "Account: choose one of this client's accounts.",
        },
    )
    subscription = forms.ModelChoiceField(
        label="Subscription",
        queryset=None,
        error_messages={
            "required": "Subscription: choose the client package the DIDs count against.",
            "invalid_choice": "Subscription: choose one of this client's active packages.",
        },
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
        used = dict(
            DID.objects.filter(subscription_id__in=[s.pk for s in subs])
            .order_by()
            .values_list("subscription_id")
            .annotate(n=Count("id"))
        )
        labels = {
            s.pk: f"{s.package.name} (#{s.pk}, {used.get(s.pk, 0)} / {s.package.did_allowance} "
            "DIDs)"
            for s in subs
        }
        self.fields["account"].queryset = accounts.order_by("name", "id")
        self.fields["subscription"].queryset = active
        self.fields["subscription"].label_from_instance = lambda s: labels.get(s.pk, str(s))
        if len(subs) == 1:
            self.fields["subscription"].initial = subs[0].pk
            self.fields["subscription"].empty_label = None

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
