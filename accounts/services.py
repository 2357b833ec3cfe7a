"""Creating resellers and users. Each write records itself in the audit log, in one
transaction; passwords never reach the log."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from audit.services import Actor, record_created
from config.limits import EMAIL_MAX, check_length
from core.services import clean_name

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
