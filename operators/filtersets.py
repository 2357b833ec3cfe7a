"""Advanced Search on the Operators tab."""

import django_filters

from accounts.tenancy import resellers_for

from .models import Operator


def _resellers(request):
    return resellers_for(getattr(request, "user", None))


class OperatorFilterSet(django_filters.FilterSet):
    """Filter by reseller; the choices are the resellers the requesting user may see."""

    reseller = django_filters.ModelChoiceFilter(
        queryset=_resellers, label="Reseller", empty_label="Any"
    )

    class Meta:
        model = Operator
        fields = ["reseller"]
