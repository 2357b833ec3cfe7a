from django import forms
from django.contrib.auth.password_validation import (
    password_validators_help_text_html,
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError

from config.limits import EMAIL_MAX, NAME_MAX, length_message
from core.forms import ServiceErrorMixin, choice_field

from .models import User
from .tenancy import is_admin, resellers_for


def reseller_field(what: str) -> forms.ModelChoiceField:
    """The Reseller of a new operator, client or package; ``offer_resellers`` fills it."""
    return choice_field(
        "Reseller",
        required=f"choose the {what}'s reseller.",
        invalid="choose one of the resellers in the list.",
    )


def offer_resellers(field, user) -> None:
    """The resellers ``user`` may choose: any for a platform admin; a reseller user's own,
    preselected and alone."""
    field.queryset = resellers_for(user)
    if not is_admin(user):
        field.empty_label = None
        field.initial = getattr(user, "reseller_id", None)


class ResellerForm(ServiceErrorMixin, forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=NAME_MAX,
        error_messages={
            "required": "Name: enter the reseller's name.",
            "max_length": length_message("Name", NAME_MAX),
        },
    )


class UserForm(ServiceErrorMixin, forms.Form):
    """New User: username, password twice (checked by Django's password validators), email."""

    username = forms.CharField(
        label="Username",
        max_length=User._meta.get_field("username").max_length,
        validators=[User.username_validator],
        help_text="Letters, digits and @/./+/-/_ only.",
        error_messages={
            "required": "Username: enter a username.",
            "max_length": length_message("Username", User._meta.get_field("username").max_length),
        },
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
        error_messages={"required": "Password: enter a password."},
    )
    password2 = forms.CharField(
        label="Password confirmation",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Password confirmation: enter the same password again."},
    )
    email = forms.EmailField(
        label="Email",
        required=False,
        max_length=EMAIL_MAX,
        error_messages={
            "max_length": length_message("Email", EMAIL_MAX),
            "invalid": "Email: enter a valid email address.",
        },
    )

    def __init__(self, *args, reseller=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.reseller = reseller

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "Password confirmation: the two passwords do not match.")
        elif p1:
            role = User.Role.RESELLER if self.reseller is not None else User.Role.ADMIN
            candidate = User(
                username=cleaned.get("username", ""),
                email=cleaned.get("email", ""),
                role=role,
                reseller=self.reseller,
            )
            try:
                validate_password(p1, user=candidate)
            except ValidationError as exc:
                self.add_error("password1", ["Password: " + m for m in exc.messages])
        return cleaned


class UserEditForm(ServiceErrorMixin, forms.Form):
    """Edit User (admins): Active, and a new password (twice; empty: unchanged)."""

    is_active = forms.BooleanField(
        label="Active",
        required=False,
        help_text="An inactive user cannot log in; its sessions and API tokens stop working.",
    )
    password1 = forms.CharField(
        label="New password",
        required=False,
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Empty: the password stays. " + " ".join(password_validators_help_texts()),
        error_messages={"max_length": length_message("New password", 128)},
    )
    password2 = forms.CharField(
        label="New password confirmation",
        required=False,
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"max_length": length_message("New password confirmation", 128)},
    )

    def __init__(self, *args, instance=None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {"is_active": instance.is_active}
        super().__init__(*args, **kwargs)
        self.instance = instance

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if (p1 or p2) and p1 != p2:
            self.add_error(
                "password2", "New password confirmation: the two passwords do not match."
            )
        elif p1:
            try:
                validate_password(p1, user=self.instance)
            except ValidationError as exc:
                self.add_error("password1", ["New password: " + m for m in exc.messages])
        return cleaned
