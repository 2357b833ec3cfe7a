"""The Audit Log's filters (django-filter), checked before any query: a value of the wrong
type, past the column's length or holding a NUL character (which PostgreSQL cannot take in
text) is an error that names its filter. Values are stripped of surrounding spaces; empty ones
do not filter."""

import django_filters as df
from django import forms

from core.filtersets import bounded_text
from core.paging import BIGINT

from .models import AuditRecord

FILTERS = ("object_type", "object_id", "change_set", "action", "username")
ID_MESSAGE = "Object id: enter an id (a whole number, 0 or more)."


def _text(name: str, label: str) -> df.CharFilter:
    return bounded_text(label, AuditRecord._meta.get_field(name).max_length)


class IdFilter(df.Filter):
    field_class = forms.IntegerField


class AuditSearchForm(forms.Form):
    """Words every error as "Field: reason"."""

    def _post_clean(self):
        super()._post_clean()
        for name, errors in list(self._errors.items()):
            label = self.fields[name].label if name in self.fields else ""
            self._errors[name] = self.error_class(
                [e if not label or e.startswith(f"{label}:") else f"{label}: {e}" for e in errors]
            )


class AuditFilterSet(df.FilterSet):
    object_type = _text("object_type", "Object type")
    object_id = IdFilter(
        label="Object id",
        min_value=0,
        max_value=BIGINT[1],
        error_messages={
            "invalid": ID_MESSAGE,
            "min_value": ID_MESSAGE,
            "max_value": "Object id: no object has an id that large.",
        },
    )
    change_set = df.UUIDFilter(
        label="Change set", error_messages={"invalid": "Change set: not a change set id."}
    )
    action = _text("action", "Action")
    username = _text("username", "User")

    class Meta:
        model = AuditRecord
        fields: list[str] = []
        form = AuditSearchForm

    def __init__(self, data=None, *args, **kwargs):
        data = {k: data.get(k, "").strip() for k in FILTERS if data and data.get(k, "").strip()}
        super().__init__(data, *args, **kwargs)

    def applied(self) -> dict:
        """The filters in use, by name and value."""
        return {k: v for k, v in self.form.cleaned_data.items() if v not in (None, "")}

    def messages(self) -> list[str]:
        return [e for errors in self.form.errors.values() for e in errors]
