from django import forms

from accounts.tenancy import is_admin, resellers_for
from config.limits import NAME_MAX, length_message
from core.forms import ServiceErrorMixin


class OperatorForm(ServiceErrorMixin, forms.Form):
    """New Operator: a name and the reseller it belongs to.

    A reseller user's choices are their own reseller only, so any other id is refused by the
    field itself (with an error under Reseller)."""

    name = forms.CharField(
        label="Name",
        max_length=NAME_MAX,
        error_messages={"max_length": length_message("Name", NAME_MAX)},
    )
    reseller = forms.ModelChoiceField(
        label="Reseller",
        queryset=None,
        error_messages={
            "required": "Reseller: choose the operator's reseller.",
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
        self.fields["name"].error_messages["required"] = "Name: enter the operator's name."
