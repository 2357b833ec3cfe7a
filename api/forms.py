from django import forms

from core.forms import ServiceErrorMixin, name_field

from .choices import Scope


class TokenForm(ServiceErrorMixin, forms.Form):
    """New API token: a name to know it by, and what it may do."""

    name = name_field("token", help_text="Say where it is used, e.g. “billing sync”.")
    scope = forms.ChoiceField(
        label="Scope",
        choices=[(Scope.READ, Scope.READ.label), (Scope.WRITE, Scope.WRITE.label)],
        initial=Scope.READ,
        error_messages={"invalid_choice": "Scope: choose Read only or Read and write."},
    )
