"""Shared by the URL matrices of the pages (tests/test_url_matrix.py) and of the REST API
(tests/test_api_matrix.py)."""

from audit.models import AuditRecord
from inventory.choices import Status
from inventory.models import DID
from operators.models import Operator


def snapshot():
    """What a refused request must leave as it was: the DIDs, the operators, the audit log."""
    return (
        sorted(DID.objects.values_list("id", "status", "tag", "client_id", "operator_id")),
        sorted(Operator.objects.values_list("id", "name")),
        AuditRecord.objects.count(),
    )


def saved_and_columns(user):
    """A user's saved searches and column choice: what another user's request never changes."""
    from inventory.models import ColumnChoice, SavedSearch

    return (
        sorted(SavedSearch.objects.filter(user=user).values_list("id", "name", "query", "shared")),
        list(ColumnChoice.objects.filter(user=user).values_list("columns", flat=True)),
    )


def reactivatable(w):
    """URL kwargs: a cancelled subscription of world ``w``."""
    sub = type(w.subscription).objects.create(
        client=w.client, package=w.package, status="cancelled", start_date=w.subscription.start_date
    )
    return {"pk": sub.pk}


def did_of(status=Status.IN_STOCK):
    """URL kwargs: a new DID of the world, in ``status``."""

    def make(w):
        return {"pk": w.did(status).pk}

    return make
