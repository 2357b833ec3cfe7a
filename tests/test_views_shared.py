"""Each model's views through the shared view test case (``tests/viewcases.py``): the class
supplies the model's data, the base classes check list, add, edit, delete, bulk edit and the
tenancy 404."""

import datetime as dt
import itertools

from clients.models import Account, Client
from inventory.choices import Status
from inventory.models import DID
from operators.models import Operator
from packages.models import Package
from subscriptions.models import Subscription

from .viewcases import (
    AddCase,
    BulkEditCase,
    DeleteCase,
    EditCase,
    ListCase,
    RefusedDeleteCase,
)

_seq = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix} {next(_seq)}"


class TestOperatorViews(ListCase, AddCase, EditCase, DeleteCase, RefusedDeleteCase):
    app, model_name, model = "operators", "operator", Operator
    invalid_data = {"name": ""}
    invalid_field = "name"

    def edit_data(self, world, obj):
        return {"name": unique("Renamed")}

    def make(self, world):
        return Operator.objects.create(name=unique("Op"), reseller=world.reseller)

    def valid_data(self, world):
        return {"name": unique("Carrier"), "reseller": world.reseller.pk}

    def make_undeletable(self, world):
        return world.did().operator  # an operator that owns a DID


class TestPackageViews(ListCase, AddCase, EditCase):
    app, model_name, model = "packages", "package", Package
    invalid_data = {"name": "Gold", "did_allowance": "-1", "hold_days": "30"}
    invalid_field = "did_allowance"

    def make(self, world):
        return Package.objects.create(
            name=unique("Pack"), reseller=world.reseller, did_allowance=10, hold_days=30
        )

    def valid_data(self, world):
        return {
            "name": unique("Gold"),
            "did_allowance": "10",
            "allowed_tags": "",
            "hold_days": "30",
            "reseller": world.reseller.pk,
        }

    def edit_data(self, world, obj):
        return {"name": unique("Silver"), "did_allowance": "5", "hold_days": "7"}


class TestClientViews(ListCase, AddCase, EditCase, DeleteCase, RefusedDeleteCase):
    app, model_name, model = "clients", "client", Client
    invalid_data = {"name": ""}
    invalid_field = "name"

    def make(self, world):
        return Client.objects.create(name=unique("Client"), reseller=world.reseller)

    def edit_data(self, world, obj):
        return {"name": unique("Renamed")}

    def make_undeletable(self, world):
        return world.did(Status.ON_HOLD).client  # a DID is still linked to it

    def valid_data(self, world):
        return {"name": unique("Acme"), "reseller": world.reseller.pk}


class TestAccountViews(EditCase, DeleteCase, RefusedDeleteCase):
    app, model_name, model = "clients", "account", Account
    invalid_data = {"name": "x" * 151}
    invalid_field = "name"

    def make(self, world):
        return Account.objects.create(name=unique("acc"), client=world.client)

    def edit_data(self, world, obj):
        return {"name": unique("acc_renamed")}

    def make_undeletable(self, world):
        return world.did(Status.ACTIVE).account


class TestSubscriptionViews(ListCase, AddCase):
    app, model_name, model = "subscriptions", "subscription", Subscription
    invalid_data = {"start_date": "2026-02-01", "end_date": "2026-01-01"}
    invalid_field = "package"

    def make(self, world):
        return Subscription.objects.create(
            client=world.client, package=world.package, start_date=dt.date(2026, 1, 1)
        )

    def valid_data(self, world):
        return {
            "client": world.client.pk,
            "package": world.package.pk,
            "start_date": "2026-03-01",
            "end_date": "",
        }

    def added(self, world, data):
        return Subscription.objects.filter(client=world.client).latest("id")


class TestDIDViews(ListCase, DeleteCase, RefusedDeleteCase, BulkEditCase):
    app, model_name, model = "inventory", "did", DID

    def make(self, world):
        return world.did()

    def make_undeletable(self, world):
        return world.did(Status.ACTIVE)  # assigned: it must be released first

    def bulk_data(self):
        return {"action": "update", "tag": "shared-case"}

    def changed(self, obj):
        return DID.objects.get(pk=obj.pk).tag == "shared-case"
