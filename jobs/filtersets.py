"""The Jobs page's filters (django-filter): by status and by kind."""

import django_filters as df

from . import registry
from .models import Job


def kind_choices() -> list[tuple[str, str]]:
    """Every kind of job, by the label its app registered."""
    return [(kind, registry.label_for(kind, label)) for kind, label in Job.Kind.choices]


class JobFilterSet(df.FilterSet):
    status = df.ChoiceFilter(label="Status", choices=Job.Status.choices, empty_label="Any")
    kind = df.ChoiceFilter(label="Kind", choices=kind_choices, empty_label="Any")

    class Meta:
        model = Job
        fields = ["status", "kind"]
