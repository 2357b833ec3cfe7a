"""Advanced Search on the Resellers page."""

import django_filters

from config.limits import NAME_MAX

from .models import Reseller


class ResellerFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", label="Name", max_length=NAME_MAX)

    class Meta:
        model = Reseller
        fields = ["name"]
