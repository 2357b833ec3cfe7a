"""Reads of clients and their accounts: what a user may see, accounts per client."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.tenancy import scoped
from core.selectors import count_by

from .models import Account, Client


def clients_for(user) -> QuerySet[Client]:
    return scoped(Client.objects.select_related("reseller"), user)


def accounts_for(user) -> QuerySet[Account]:
    return scoped(Account.objects.all(), user, "client__reseller")


def accounts_per_client(user, client_ids) -> dict[int, int]:
    return count_by(accounts_for(user), "client_id", client_ids)
