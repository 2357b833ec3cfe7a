"""What every resource of the REST API shares: the scoped queryset, the list (the pages'
filterset, table and pagination), and the helpers that hand a write to a page's form and a
service."""

from __future__ import annotations

from django.http import QueryDict
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from audit.services import Actor
from core.forms import NameForm


class Resource(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A list and its objects: ``scope(user)`` (the tenancy of the pages: another reseller's
    object is a 404), ``filterset_class`` and ``table`` (sorts) as on the page."""

    table = None
    # The fields a service's "Field: reason" refusal may name (``api.errors``).
    refusal_fields: tuple[str, ...] = ()

    def scope(self, user):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema, without a request's user
            return self.get_serializer_class().Meta.model.objects.none()
        return self.scope(self.request.user)

    def default_sort(self, params) -> str | None:
        return None

    def created(self, obj) -> Response:
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    def related(self, rows, pk, field: str, label: str):
        """The object ``pk`` among ``rows(user)`` (the user's own); a 400 naming ``field``
        when it is not one of them, another reseller's included."""
        value = str(pk if pk is not None else "").strip()
        if not value:
            raise ValidationError({field: [f"{label}: choose the {label.lower()}."]})
        if not (value.isascii() and value.isdigit() and len(value) < 19):
            raise ValidationError({field: [f"{label}: enter its id (a whole number)."]})
        obj = rows(self.request.user).filter(pk=int(value)).first()
        if obj is None:
            raise ValidationError({field: [f"{label}: no such {label.lower()} among yours."]})
        return obj


def actor_of(request) -> Actor:
    return Actor.for_user(request.user)


def form_data(request, *, reseller: bool = True) -> dict:
    """The request's fields as a page's form takes them: lists joined with commas, and a
    reseller's user's own reseller filled in when ``reseller`` is asked and not given."""
    source = request.data
    if isinstance(source, QueryDict):
        data = {key: source.get(key) for key in source}
    elif isinstance(source, dict):
        data = dict(source)
    else:
        raise ValidationError({"non_field_errors": ["Send the fields as a JSON object."]})
    for key, value in list(data.items()):
        # As an HTML form sends them: text. A page's form field then reads it as on the page
        # (a date field never meets a JSON true).
        if value is None:
            del data[key]
        elif isinstance(value, bool):
            data[key] = "true" if value else "false"
        elif isinstance(value, list | tuple):
            data[key] = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            raise ValidationError({key: [f"{key}: a value, not an object."]})
        elif not isinstance(value, str):
            data[key] = str(value)
    user = request.user
    if reseller and not data.get("reseller") and getattr(user, "reseller_id", None):
        data["reseller"] = user.reseller_id
    return data


def checked(form) -> dict:
    """A page's form's cleaned data, or a 400 with its errors by field, each named by its
    label ("Name: enter the client's name.") as the page shows them."""
    if form.is_valid():
        return form.cleaned_data
    errors = {}
    for name, messages in form.errors.items():
        field = form.fields.get(name)
        label = field.label if field is not None and field.label else ""
        key = "non_field_errors" if name == "__all__" else name
        errors[key] = [
            m if not label or m.startswith(f"{label}:") else f"{label}: {m}" for m in messages
        ]
    raise ValidationError(errors)


def moved(result, *, dry_run: bool = False, message: str = "", job=None) -> dict:
    """A lifecycle ``MoveResult`` (or a preview of one) as JSON: the counted refusals that the
    Mass Edit confirmation shows."""
    return {
        "dry_run": dry_run,
        "moved": result.moved,
        "unchanged": result.unchanged,
        "refused": result.refused,
        "refusals": [
            {"reason": r.reason, "count": r.count, "examples": list(r.examples)}
            for r in result.refusals
        ],
        "change_set": None if dry_run else result.change_set,
        "message": message,
        "job": job,
    }


class Renamed(mixins.UpdateModelMixin):
    """PUT / PATCH ``{"name": ...}``: the rename page's form (``core.forms.NameForm``), then
    the app's rename service (``rename(obj, name=..., actor=...)``)."""

    noun = ""
    rename = None  # the service, e.g. operators.services.operator_rename

    def update(self, request, pk=None, partial=False):
        obj = self.get_object()
        data = checked(NameForm(form_data(request, reseller=False), noun=self.noun, instance=obj))
        type(self).rename(obj, name=data["name"], actor=actor_of(request))
        return Response(self.get_serializer(obj).data)
