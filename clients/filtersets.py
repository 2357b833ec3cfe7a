"""Advanced Search on the Clients tab: by name, and (platform admins) by reseller."""

import django_filters

from accounts.tenancy import is_admin, resellers_for, scoped
from config.limits import NAME_MAX

from .models import Account, Client


def _resellers(request):
    return resellers_for(getattr(request, "user", None))


class ClientFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label="Name", max_length=NAME_MAX
    )
    reseller = django_filters.ModelChoiceFilter(
        queryset=_resellers, label="Reseller", empty_label="Any"
    )

    class Meta:
        model = Client
        fields = ["q", "reseller"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if not is_admin(getattr(request, "user", None)):
            del self.filters["reseller"]  # a reseller's user sees only their own clients


def _clients(request):
    return scoped(Client.objects.all(), getattr(request, "user", None))


class AccountFilterSet(django_filters.FilterSet):
    """Accounts (the REST API's list): by client, and by name."""

    client = django_filters.ModelChoiceFilter(queryset=_clients, label="Client")
    q = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label="Name", max_length=NAME_MAX
    )

    class Meta:
        model = Account
        fields = ["client", "q"]
