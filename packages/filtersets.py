"""Advanced Search on the Packages tab."""

import django_filters

from accounts.tenancy import resellers_for
from config.limits import NAME_MAX

from .models import Package


def _resellers(request):
    return resellers_for(getattr(request, "user", None))


class PackageFilterSet(django_filters.FilterSet):
    """Filter by name (contains) and reseller (those the requesting user may see)."""

    name = django_filters.CharFilter(lookup_expr="icontains", label="Name", max_length=NAME_MAX)
    reseller = django_filters.ModelChoiceFilter(
        queryset=_resellers, label="Reseller", empty_label="Any"
    )

    class Meta:
        model = Package
        fields = ["name", "reseller"]
