"""The one form-error helper: a service's ``"Field: reason"`` error goes under that field."""

from __future__ import annotations

from django import forms
from django.contrib import messages

from config.limits import NAME_MAX, length_message


def add_service_error(form, message: str) -> None:
    """Put a service error under the field its message names ("Name: ..."), else on top."""
    for name, field in form.fields.items():
        if message.startswith(f"{field.label}:"):
            form.add_error(name, message)
            return
    form.add_error(None, message)


class ServiceErrorMixin:
    """``form.add_service_error(str(exc))`` for a form whose page shows errors in place."""

    def add_service_error(self, message: str) -> None:
        add_service_error(self, message)


def form_messages(request, form, prefix: str = "") -> None:
    """A form's errors as error messages, for a form that is not shown again (each error
    named by its field's label, "Label: reason"; after ``prefix``, e.g. "Mass Edit: ")."""
    for error in form.non_field_errors():
        messages.error(request, prefix + error)
    for name, errors in form.errors.items():
        if name != "__all__":
            for error in errors:
                label = form.fields[name].label
                named = error if error.startswith(f"{label}:") else f"{label}: {error}"
                messages.error(request, prefix + named)


def name_field(what: str, **kwargs) -> forms.CharField:
    """The Name of an operator, client, package, account...: required, at most NAME_MAX."""
    return forms.CharField(
        label="Name",
        max_length=NAME_MAX,
        error_messages={
            "required": f"Name: enter the {what}'s name.",
            "max_length": length_message("Name", NAME_MAX),
        },
        **kwargs,
    )


def choice_field(label: str, *, required: str, invalid: str, **kwargs) -> forms.ModelChoiceField:
    """A choice among rows the form sets (``field.queryset``), its errors named by ``label``:
    a row the user may not see is not a choice, so it is refused by the field itself."""
    return forms.ModelChoiceField(
        label=label,
        queryset=None,
        error_messages={
            "required": f"{label}: {required}",
            "invalid_choice": f"{label}: {invalid}",
        },
        **kwargs,
    )


class NameForm(ServiceErrorMixin, forms.Form):
    """Renaming a named object (Edit Operator, Edit Client, Edit Reseller...): its name, the
    current one filled in; the service (``core.services.rename_named``) checks it again."""

    name = name_field("object")

    def __init__(self, *args, noun: str, instance=None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {"name": instance.name}
        super().__init__(*args, **kwargs)
        self.fields["name"] = name_field(noun)
