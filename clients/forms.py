from django import forms

from accounts.forms import offer_resellers, reseller_field
from core.forms import ServiceErrorMixin, name_field


class ClientForm(ServiceErrorMixin, forms.Form):
    """New Client: a name and its reseller (a reseller user: their own only)."""

    name = name_field("client")
    reseller = reseller_field("client")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        offer_resellers(self.fields["reseller"], user)


class AccountForm(ServiceErrorMixin, forms.Form):
    """New / Edit Account: its name."""

    name = name_field("account", help_text="Shown as “Client name | account_name”.")
