"""Creating resellers and users. Each write records itself in the audit log, in one
transaction; passwords never reach the log."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from audit.services import Actor, record, record_created
from config.limits import EMAIL_MAX, check_length
from core.services import clean_name, rename_named

from .models import Reseller, User


class AccountError(Exception):
    """A refused write; the message starts with the field it is about ("Name: ...")."""


def reseller_create(*, name: str, actor: Actor) -> Reseller:
    name = clean_name(name, "reseller", AccountError)
    if Reseller.objects.filter(name__iexact=name).exists():
        raise AccountError(f"Name: a reseller named “{name}” already exists.")
    try:
        with transaction.atomic():
            reseller = Reseller.objects.create(name=name)
            record_created(
                actor,
                reseller,
                reseller_id=reseller.pk,
                after={"name": reseller.name},
            )
    except IntegrityError as exc:
        raise AccountError(f"Name: a reseller named “{name}” already exists.") from exc
    return reseller


def user_create(
    *, username: str, password: str, actor: Actor, email: str = "", reseller: Reseller | None
) -> User:
    """A user of ``reseller`` (role reseller), or a platform admin when ``reseller`` is None."""
    username = (username or "").strip()
    if not username:
        raise AccountError("Username: enter a username.")
    problem = check_length(
        "Username", username, User._meta.get_field("username").max_length
    ) or check_length("Email", email, EMAIL_MAX)
    if problem:
        raise AccountError(problem)
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError(f"Username: a user named “{username}” already exists.")
    role = User.Role.RESELLER if reseller is not None else User.Role.ADMIN
    candidate = User(username=username, email=email or "", role=role, reseller=reseller)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise AccountError("Password: " + " ".join(exc.messages)) from exc
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username,
                password=password,
                email=email or "",
                role=role,
                reseller=reseller,
            )
            record_created(
                actor,
                user,
                reseller_id=user.reseller_id,
                after={
                    "username": user.username,
                    "email": user.email,
                    "role": user.role,
                    "reseller_id": user.reseller_id,
                },
            )
    except IntegrityError as exc:
        raise AccountError(f"Username: a user named “{username}” already exists.") from exc
    return user


def reseller_rename(reseller: Reseller, *, name: str, actor: Actor) -> bool:
    """Rename ``reseller`` (names are unique whatever their case). False: the same name."""
    name = clean_name(name, "reseller", AccountError)
    if Reseller.objects.filter(name__iexact=name).exclude(pk=reseller.pk).exists():
        raise AccountError(f"Name: a reseller named “{name}” already exists.")
    return rename_named(
        reseller,
        AccountError,
        name=name,
        noun="reseller",
        taken="a reseller named “{name}” already exists.",
        actor=actor,
        reseller_id=reseller.pk,
    )


def user_update(user: User, *, active: bool, password: str = "", actor: Actor) -> list[str]:
    """An admin's edit of a user: deactivate (or reactivate) it, and/or set a new password
    (checked by Django's password validators; it never reaches the log). A deactivated user
    can no longer log in, and its open sessions and REST API tokens stop working; a new
    password ends its other sessions. An admin cannot deactivate themselves. Returns what
    changed ("deactivated", "password")."""
    if not active and actor.user_id == user.pk:
        raise AccountError("Active: you cannot deactivate your own user.")
    if password:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise AccountError("New password: " + " ".join(exc.messages)) from exc
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before, after, changed = {}, {}, []
        if locked.is_active != bool(active):
            before["is_active"], after["is_active"] = locked.is_active, bool(active)
            locked.is_active = bool(active)
            changed.append("activated" if active else "deactivated")
        if password:
            locked.set_password(password)
            after["password"] = "changed"  # never the password, nor its hash
            changed.append("password")
        if not changed:
            return []
        locked.save(update_fields=["is_active", "password"])
        record(
            actor,
            action="update",
            object_type="user",
            object_id=locked.pk,
            object_repr=locked.username,
            reseller_id=locked.reseller_id,
            before=before,
            after=after,
        )
    user.is_active = locked.is_active
    return changed
