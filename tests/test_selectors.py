"""The reads of each app's selectors.py: counts per foreign key, scoped to what a user may see,
the package allowance check and the home page's dashboard."""

from __future__ import annotations

from django.utils import timezone

from accounts import selectors as account_selectors
from clients import selectors as client_selectors
from inventory import selectors as inventory_selectors
from inventory.choices import Status
from operators import selectors as operator_selectors
from packages import selectors as package_selectors
from subscriptions import selectors as subscription_selectors


def test_dids_per_key_counts_in_one_query_and_scopes_to_the_user(
    world, other_world, django_assert_num_queries
):
    world.did()
    world.did(Status.ACTIVE)
    other_world.did()
    ids = [world.operator.pk, other_world.operator.pk]
    with django_assert_num_queries(1):
        counts = inventory_selectors.dids_per("operator_id", ids)
    assert counts == {world.operator.pk: 2, other_world.operator.pk: 1}
    assert inventory_selectors.dids_per("operator_id", ids, world.user) == {world.operator.pk: 2}
    assert inventory_selectors.dids_per("subscription_id", [world.subscription.pk]) == {
        world.subscription.pk: 1
    }
    with django_assert_num_queries(0):
        assert inventory_selectors.dids_per("operator_id", []) == {}


def test_subscriptions_over_allowance_names_only_active_ones_over_it(world):
    world.did(Status.ACTIVE)
    world.did(Status.ACTIVE)
    assert inventory_selectors.subscriptions_over_allowance(world.package) == []
    world.package.did_allowance = 1
    assert inventory_selectors.subscriptions_over_allowance(world.package) == [
        (world.subscription.pk, world.client.name, 2)
    ]


def test_the_dashboard_counts_only_the_users_dids(world, other_world):
    world.did()
    world.did(Status.ON_HOLD)
    other_world.did()
    board = inventory_selectors.dashboard(world.user, now=timezone.now())
    assert board.by_status == {Status.IN_STOCK: 1, Status.ON_HOLD: 1}
    assert board.top_operators == [(world.operator.name, 2)]
    assert board.operators_total == 1
    assert board.ending_count == 0  # the hold ends in 30 days, not within the week


def test_scoped_lists_and_counts_of_the_other_apps(world, other_world, admin):
    assert list(operator_selectors.operators_for(world.user)) == [world.operator]
    assert set(operator_selectors.operators_for(admin)) == {world.operator, other_world.operator}
    assert list(package_selectors.packages_for(world.user)) == [world.package]
    assert list(client_selectors.clients_for(world.user)) == [world.client]
    assert list(client_selectors.accounts_for(world.user)) == [world.account]
    assert list(subscription_selectors.subscriptions_for(world.user)) == [world.subscription]
    ids = [world.reseller.pk, other_world.reseller.pk]
    assert operator_selectors.operators_per_reseller(ids) == dict.fromkeys(ids, 1)
    assert account_selectors.users_per_reseller(ids) == dict.fromkeys(ids, 1)
    assert list(account_selectors.platform_admins()) == [admin]
    client_ids = [world.client.pk, other_world.client.pk]
    assert client_selectors.accounts_per_client(world.user, client_ids) == {world.client.pk: 1}
    assert subscription_selectors.active_subscriptions_per_client(
        admin, client_ids
    ) == dict.fromkeys(client_ids, 1)
    assert subscription_selectors.subscriptions_per_package(world.user, [world.package.pk]) == {
        world.package.pk: 1
    }
