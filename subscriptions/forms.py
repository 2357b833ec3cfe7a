from django import forms
from django.utils import timezone

from accounts.tenancy import is_admin, scoped
from clients.models import Client
from config.limits import DATE_MAX, DATE_MIN, check_date
from core.forms import ServiceErrorMixin, choice_field
from packages.models import Package
from packages.services import archived_refusal


class SubscriptionForm(ServiceErrorMixin, forms.Form):
    """New subscription (a "Client Package"): client, package, start date, optional end date.

    With ``client`` given (the client's page) the client is fixed and only packages of its
    reseller are offered. The choices come from the user's scoped querysets, so another
    reseller's client or package is refused by the field itself."""

    client = choice_field(
        "Client", required="choose the client.", invalid="choose one of the clients in the list."
    )
    package = choice_field(
        "Package",
        required="choose the package.",
        invalid="choose one of the packages in the list.",
    )
    start_date = forms.DateField(
        label="Start date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Start date: enter the date the subscription starts.",
            "invalid": "Start date: enter a date as YYYY-MM-DD.",
        },
    )
    end_date = forms.DateField(
        label="End date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional. The subscription expires after this day.",
        error_messages={"invalid": "End date: enter a date as YYYY-MM-DD."},
    )

    def __init__(self, *args, user, client=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        admin = is_admin(user)
        packages = scoped(Package.objects.select_related("reseller"), user).order_by("name", "id")
        if client is not None:
            del self.fields["client"]
            packages = packages.filter(reseller_id=client.reseller_id)
        else:
            clients = scoped(Client.objects.select_related("reseller"), user).order_by("name", "id")
            self.fields["client"].queryset = clients
            if admin:
                self.fields["client"].label_from_instance = lambda c: (
                    f"{c.name} ({c.reseller.name})"
                )
        # An archived package is not offered; one posted anyway is named as archived.
        self.archived = packages.filter(archived=True)
        self.fields["package"].queryset = packages.filter(archived=False)
        if admin and client is None:
            self.fields["package"].label_from_instance = lambda p: f"{p.name} ({p.reseller.name})"
        self.fields["start_date"].initial = timezone.localdate()
        for name in ("start_date", "end_date"):
            self.fields[name].widget.attrs.update(
                min=DATE_MIN.isoformat(), max=DATE_MAX.isoformat()
            )

    def clean(self):
        data = super().clean()
        raw = str(self.data.get(self.add_prefix("package")) or "")
        if "package" in self.errors and raw.isascii() and raw.isdigit() and len(raw) < 19:
            archived = self.archived.filter(pk=int(raw)).first()
            if archived is not None:
                self.errors["package"] = self.error_class([archived_refusal(archived)])
        client = self.client or data.get("client")
        package = data.get("package")
        if client is not None and package is not None and package.reseller_id != client.reseller_id:
            self.add_error(
                "package",
                f"Package: {package.name} belongs to another reseller than client {client.name}.",
            )
        start, end = data.get("start_date"), data.get("end_date")
        for name, label, value in (
            ("start_date", "Start date", start),
            ("end_date", "End date", end),
        ):
            if message := check_date(label, value):
                self.add_error(name, message)  # also drops it from cleaned_data
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "End date: it cannot be before the start date.")
        return data


class EndDateForm(ServiceErrorMixin, forms.Form):
    """Edit a subscription: its end date (empty: no end). The service checks it against the
    start date."""

    end_date = forms.DateField(
        label="End date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: no end. The subscription expires after this day.",
        error_messages={"invalid": "End date: enter a date as YYYY-MM-DD."},
    )

    def __init__(self, *args, instance=None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {"end_date": instance.end_date}
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["end_date"].widget.attrs.update(
            min=(instance.start_date if instance else DATE_MIN).isoformat(),
            max=DATE_MAX.isoformat(),
        )

    def clean_end_date(self):
        value = self.cleaned_data.get("end_date")
        if message := check_date("End date", value):
            raise forms.ValidationError(message)
        start = self.instance.start_date if self.instance is not None else None
        if value and start and value < start:
            raise forms.ValidationError(f"End date: it cannot be before the start date {start}.")
        return value
