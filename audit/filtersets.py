"""The Audit Log's search (django-filter): by DID number, operator, client, package,
subscription, user, action, change set and date range, and by object (the links of other
pages: ``?object_type=did&object_id=5``).

Names are found through ``audit.registry`` (each app says how its objects are looked up);
an object's history is its own entries and the entries whose fields name it (a DID assigned
to a client names the client). Every value is checked before any query: a value of the wrong
type, past the column's length or holding a NUL character is an error that names its filter.
Values are stripped of surrounding spaces; empty ones do not filter."""

from __future__ import annotations

import datetime as dt

import django_filters as df
from django import forms
from django.db.models import Q
from django.utils import timezone

from config.limits import DATE_MAX, DATE_MIN, NAME_MAX, NUMBER_MAX
from core.filtersets import bounded_text
from core.paging import BIGINT

from . import registry, wording
from .models import AuditRecord

FILTERS = (
    "did",
    "operator",
    "client",
    "package",
    "subscription",
    "username",
    "action",
    "change_set",
    "date_from",
    "date_to",
    "object_type",
    "object_id",
)
ID_MESSAGE = "{label}: enter an id (a whole number, 0 or more)."
# The ids a name may stand for at most (names are unique per reseller).
REFS_MAX = registry.LOOKUP_MAX


def _id_filter(label: str, **kwargs) -> df.Filter:
    message = ID_MESSAGE.format(label=label)
    return IdFilter(
        label=label,
        min_value=0,
        max_value=BIGINT[1],
        error_messages={
            "invalid": message,
            "min_value": message,
            "max_value": f"{label}: no object has an id that large.",
        },
        **kwargs,
    )


class IdFilter(df.Filter):
    field_class = forms.IntegerField


class DateInput(forms.DateInput):
    input_type = "date"


def _date_filter(label: str, method: str) -> df.DateFilter:
    return df.DateFilter(
        label=label,
        method=method,
        widget=DateInput,
        error_messages={"invalid": f"{label}: enter a date as YYYY-MM-DD."},
    )


class AuditSearchForm(forms.Form):
    """Words every error as "Field: reason"."""

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        for name, day in (("date_from", start), ("date_to", end)):
            if day is not None and not DATE_MIN <= day <= DATE_MAX:
                label = self.fields[name].label
                self.add_error(name, f"{label}: enter a date from {DATE_MIN} to {DATE_MAX}.")
                data[name] = None
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "To: the end of the range comes before its start.")
        return data

    def _post_clean(self):
        super()._post_clean()
        for name, errors in list(self._errors.items()):
            label = self.fields[name].label if name in self.fields else ""
            self._errors[name] = self.error_class(
                [e if not label or e.startswith(f"{label}:") else f"{label}: {e}" for e in errors]
            )


def _text(name: str, label: str) -> df.CharFilter:
    return bounded_text(label, AuditRecord._meta.get_field(name).max_length)


def names_q(object_type: str, field: str, ids: list[int]) -> Q:
    """Entries of the objects ``ids`` of ``object_type``, and entries whose before or after
    holds one of them in ``field`` (and the entries of the objects registered as related)."""
    q = Q(object_type=object_type, object_id__in=ids)
    refs = {field: ids}
    related = registry.RELATED.get(object_type)
    if related is not None:
        refs.update(related(ids))
    for key, values in refs.items():
        for value in values:
            q |= Q(after__contains={key: value}) | Q(before__contains={key: value})
    return q


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class AuditFilterSet(df.FilterSet):
    did = bounded_text("DID", NUMBER_MAX, method="by_did")
    operator = bounded_text("Operator", NAME_MAX, method="by_name")
    client = bounded_text("Client", NAME_MAX, method="by_name")
    package = bounded_text("Package", NAME_MAX, method="by_name")
    subscription = _id_filter("Subscription", method="by_subscription")
    username = _text("username", "User")
    action = df.ChoiceFilter(
        label="Action",
        choices=wording.action_choices,
        error_messages={"invalid_choice": "Action: choose one of the list."},
    )
    change_set = df.UUIDFilter(
        label="Change set", error_messages={"invalid": "Change set: not a change set id."}
    )
    date_from = _date_filter("From", "since")
    date_to = _date_filter("To", "until")
    object_type = _text("object_type", "Object type")
    object_id = _id_filter("Object id")

    class Meta:
        model = AuditRecord
        fields: list[str] = []
        form = AuditSearchForm

    def __init__(self, data=None, *args, **kwargs):
        data = {k: data.get(k, "").strip() for k in FILTERS if data and data.get(k, "").strip()}
        super().__init__(data, *args, **kwargs)
        # Linked to from other pages, not typed: kept out of the Advanced Search panel.
        for name in ("object_type", "object_id"):
            self.form.fields[name].widget = forms.HiddenInput()

    def by_did(self, qs, name, value):
        lookup = registry.kind("did").lookup
        ids = lookup(value) if lookup else []
        return qs.filter(object_type="did", object_id__in=ids)

    def by_name(self, qs, name, value):
        lookup = registry.kind(name).lookup
        ids = lookup(value)[:REFS_MAX] if lookup else []
        if not ids:
            return qs.none()
        return qs.filter(names_q(name, f"{name}_id", ids))

    def by_subscription(self, qs, name, value):
        return qs.filter(names_q("subscription", "subscription_id", [value]))

    def since(self, qs, name, value):
        return qs.filter(created_at__gte=_start_of(value))

    def until(self, qs, name, value):
        return qs.filter(created_at__lt=_start_of(value + dt.timedelta(days=1)))

    def applied(self) -> dict:
        """The filters in use, by label and value."""
        fields = self.form.fields
        return {
            fields[k].label: (wording.action_label(v) if k == "action" else v)
            for k, v in self.form.cleaned_data.items()
            if v not in (None, "")
        }

    def messages(self) -> list[str]:
        return [e for errors in self.form.errors.values() for e in errors]
