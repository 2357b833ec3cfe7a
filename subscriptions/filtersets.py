"""Advanced Search on the Subscriptions tab."""

import django_filters

from .models import Subscription


class SubscriptionFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label="Status", choices=Subscription.Status.choices, empty_label="Any"
    )

    class Meta:
        model = Subscription
        fields = ["status"]
