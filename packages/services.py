"""Packages: what a client buys (DID allowance, allowed tags, hold days)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from audit.services import Actor, record, record_created
from config.limits import (
    ALLOWED_TAGS_MAX,
    DID_ALLOWANCE_MAX,
    DID_ALLOWANCE_MIN,
    HOLD_DAYS_MAX,
    HOLD_DAYS_MIN,
    NAME_MAX,
    TAG_MAX,
    check_length,
    check_range,
)

from .models import Package

FIELDS = ("name", "did_allowance", "allowed_tags", "hold_days", "archived")


class PackageError(Exception):
    """A refused package action. A message that starts with a form field's label
    ("Name: ...") belongs under that field."""


@dataclass
class PackageResult:
    package: Package
    changed: bool = True
    # The DID allowance went down: the caller warns about active subscriptions that already
    # use more (``inventory.selectors.subscriptions_over_allowance``).
    allowance_lowered: bool = False


def snapshot(package: Package) -> dict:
    return {
        "name": package.name,
        "did_allowance": package.did_allowance,
        "allowed_tags": list(package.allowed_tags),
        "hold_days": package.hold_days,
        "archived": package.archived,
        "reseller_id": package.reseller_id,
    }


def _clean(name: str, did_allowance: int, allowed_tags, hold_days: int) -> dict:
    name = (name or "").strip()
    if not name:
        raise PackageError("Name: enter the package's name.")
    tags = list(dict.fromkeys(t.strip() for t in (allowed_tags or []) if t and t.strip()))
    problem = (
        check_length("Name", name, NAME_MAX)
        or check_range("DID allowance", did_allowance, DID_ALLOWANCE_MIN, DID_ALLOWANCE_MAX)
        or check_range("Hold days", hold_days, HOLD_DAYS_MIN, HOLD_DAYS_MAX)
        or next(
            (
                f"Allowed tags: “{t[:TAG_MAX]}…” is longer than {TAG_MAX} characters."
                for t in tags
                if len(t) > TAG_MAX
            ),
            None,
        )
        or (
            f"Allowed tags: at most {ALLOWED_TAGS_MAX:,} tags."
            if len(tags) > ALLOWED_TAGS_MAX
            else None
        )
    )
    if problem:
        raise PackageError(problem)
    return {
        "name": name,
        "did_allowance": did_allowance,
        "allowed_tags": tags,
        "hold_days": hold_days,
    }


def package_create(
    *, reseller, name: str, did_allowance: int, allowed_tags, hold_days: int, actor: Actor
) -> Package:
    values = _clean(name, did_allowance, allowed_tags, hold_days)
    try:
        with transaction.atomic():
            package = Package.objects.create(reseller=reseller, **values)
            record_created(
                actor,
                package,
                reseller_id=package.reseller_id,
                after=snapshot(package),
            )
    except IntegrityError as exc:
        raise PackageError(
            f"Name: {reseller.name} already has a package named “{values['name']}”."
        ) from exc
    return package


def package_update(
    package: Package,
    *,
    name: str,
    did_allowance: int,
    allowed_tags,
    hold_days: int,
    actor: Actor,
    archived: bool | None = None,
) -> PackageResult:
    """Edit a package. Lowering the allowance below what an active subscription already uses
    is allowed (its DIDs stay); the result names those subscriptions so the user is warned.
    ``archived``: True archives it (no new subscriptions), False takes it back, None keeps it.
    """
    values = _clean(name, did_allowance, allowed_tags, hold_days)
    if archived is not None:
        values["archived"] = bool(archived)
    try:
        with transaction.atomic():
            locked = Package.objects.select_for_update().get(pk=package.pk)
            before = snapshot(locked)
            for key, value in values.items():
                setattr(locked, key, value)
            after = snapshot(locked)
            if after == before:
                return PackageResult(locked, changed=False)
            locked.save(update_fields=list(FIELDS))
            record(
                actor,
                action="update",
                object_type="package",
                object_id=locked.pk,
                object_repr=locked.name,
                reseller_id=locked.reseller_id,
                before=before,
                after=after,
            )
    except IntegrityError as exc:
        raise PackageError(
            f"Name: {package.reseller.name} already has a package named “{values['name']}”."
        ) from exc
    lowered = after["did_allowance"] < before["did_allowance"]
    return PackageResult(locked, changed=True, allowance_lowered=lowered)


def archived_refusal(package: Package) -> str:
    """Why ``package`` takes no new subscription ("" when it does): the one message the form,
    the service and the API give."""
    if package.archived:
        return f"Package: {package.name} is archived and takes no new subscriptions."
    return ""
