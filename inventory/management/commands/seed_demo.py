"""Demo data on first start: two resellers, operators, a few thousand DIDs in every status,
clients with accounts, packages, active and cancelled subscriptions. Everything is made
through the services, so the audit log tells the story too."""

import datetime as dt

from django.contrib.auth.password_validation import validate_password
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Reseller, User
from audit.services import Actor
from clients.models import Account, Client
from inventory import lifecycle
from inventory.choices import AfterHold, Status
from inventory.models import DID
from inventory.numbers import parse
from inventory.services import create_dids
from operators.services import operator_create
from packages.models import Package
from subscriptions.models import Subscription

# Printed by app.sh and the README; they pass AUTH_PASSWORD_VALIDATORS (not like the username).
ADMIN_PASSWORD = "demo-platform"
DEMO = {
    "Reseller 1": {
        "user": ("reseller1", "demo-tenant"),
        "operators": {
            "DID Operator": ("+14155550000-+14155551499", "us"),
            "Voxbone": ("+442071230000-+442071230999", "uk"),
            "Telnyx": ("0200000-0200499", ""),
        },
        "clients": ["Rose Orig", "Blue Telecom", "Acme Calls"],
    },
    "Reseller 2": {
        "user": ("reseller2", "demo-tenant"),
        "operators": {
            "DID Operator 2": ("+4930120000-+4930120799", "de"),
            "Bandwidth": ("3333000-3333299", "premium"),
        },
        "clients": ["Client 0 Orig", "Nordic VoIP"],
    },
}


class Command(BaseCommand):
    help = "Create demo data once (does nothing when any reseller exists)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="seed even if data exists")

    def handle(self, *args, force=False, **options):
        if Reseller.objects.exists() and not force:
            self.stdout.write("Demo data: already present.")
            return
        with transaction.atomic():
            admin, created = User.objects.get_or_create(
                username="admin",
                defaults={"role": User.Role.ADMIN, "is_staff": True, "is_superuser": True},
            )
            if created:
                validate_password(ADMIN_PASSWORD, user=admin)
                admin.set_password(ADMIN_PASSWORD)
                admin.save()
            for r_name, spec in DEMO.items():
                self._reseller(r_name, spec, admin)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data: created {DID.objects.count():,} DIDs for 2 resellers.")
        )

    def _reseller(self, name, spec, admin):
        def actor() -> Actor:
            """The admin, acting anew: each step is an action of its own on the audit log."""
            return Actor.for_user(admin)

        reseller = Reseller.objects.create(name=name)
        username, password = spec["user"]
        # The same validators as every user form (demo passwords are not exempt).
        validate_password(password, user=User(username=username, reseller=reseller))
        User.objects.create_user(username, password=password, reseller=reseller)
        ops = []
        for op_name, (numbers, tag) in spec["operators"].items():
            op = operator_create(name=op_name, reseller=reseller, actor=actor())
            create_dids(
                parse(numbers), operator=op, tag=tag, actor=actor(), after_hold=AfterHold.IN_STOCK
            )
            ops.append(op)
        small = Package.objects.create(
            reseller=reseller, name="Starter 10", did_allowance=10, hold_days=7
        )
        big = Package.objects.create(
            reseller=reseller, name="Business 200", did_allowance=200, hold_days=30
        )
        stock = DID.objects.filter(reseller=reseller, status=Status.IN_STOCK).order_by("id")
        for i, c_name in enumerate(spec["clients"]):
            client = Client.objects.create(reseller=reseller, name=c_name)
            accounts = [
                Account.objects.create(
                    client=client, name=f"{c_name.lower().replace(' ', '_')}_{n}"
                )
                for n in ("orig", "term")
            ]
            package = big if i == 0 else small
            sub = Subscription.objects.create(
                client=client, package=package, start_date=dt.date(2026, 1, 1)
            )
            want = 120 if package is big else 8
            ids = list(stock.values_list("id", flat=True)[:want])
            half = len(ids) // 2
            lifecycle.assign(ids[:half], account=accounts[0], subscription=sub, actor=actor())
            lifecycle.assign(ids[half:], account=accounts[1], subscription=sub, actor=actor())
            lifecycle.block(ids[:5], actor=actor())
            lifecycle.hold(ids[5:10], actor=actor())
            if i == len(spec["clients"]) - 1:
                lifecycle.cancel_subscription(sub, actor=actor())
        rest = list(stock.values_list("id", flat=True))
        lifecycle.set_status(rest[: len(rest) // 6], Status.RESERVED, actor=actor())
        lifecycle.set_status(rest[-len(rest) // 10 :], Status.ARCHIVE, actor=actor())
