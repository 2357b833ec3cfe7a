from django import forms

from accounts.forms import offer_resellers, reseller_field
from core.forms import ServiceErrorMixin, name_field


class OperatorForm(ServiceErrorMixin, forms.Form):
    """New Operator: a name and the reseller it belongs to.

    A reseller user's choices are their own reseller only, so any other id is refused by the
    field itself (with an error under Reseller)."""

    name = name_field("operator")
    reseller = reseller_field("operator")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        offer_resellers(self.fields["reseller"], user)
