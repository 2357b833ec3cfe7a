"""The REST API's resources other than DIDs: configuration over ``api.base``. Reads are the
pages' own scoped querysets, filtersets and tables; writes are the pages' own forms, then
the same services."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts import services as account_services
from accounts.filtersets import ResellerFilterSet
from accounts.forms import ResellerForm
from accounts.models import Reseller
from accounts.tables import ResellerTable
from accounts.tenancy import is_admin, scoped
from audit import selectors as audit_selectors
from audit.filtersets import AuditFilterSet
from audit.tables import AuditTable
from clients import selectors as client_selectors
from clients import services as client_services
from clients.filtersets import AccountFilterSet, ClientFilterSet
from clients.forms import AccountForm, ClientForm
from clients.tables import AccountTable, ClientTable
from imports import selectors as import_selectors
from imports import services as import_services
from imports.choices import Status as ImportStatus
from imports.forms import ImportUploadForm, MappingForm, NamesForm
from imports.tables import ImportTable
from inventory import lifecycle
from jobs.filtersets import JobFilterSet
from jobs.selectors import jobs_for
from jobs.tables import JobTable
from operators import services as operator_services
from operators.filtersets import OperatorFilterSet
from operators.forms import OperatorForm
from operators.models import Operator
from operators.tables import OperatorTable
from packages import services as package_services
from packages.filtersets import PackageFilterSet
from packages.forms import PackageForm
from packages.selectors import packages_for
from packages.tables import PackageTable
from subscriptions import selectors as subscription_selectors
from subscriptions import services as subscription_services
from subscriptions.filtersets import SubscriptionFilterSet
from subscriptions.forms import EndDateForm, SubscriptionForm
from subscriptions.tables import SubscriptionTable

from . import requests as rq
from . import serializers as s
from .base import Renamed, Resource, actor_of, checked, form_data, moved

RENAME = extend_schema(request=rq.RenameRequest)
END_DATE = extend_schema(request=rq.EndDateRequest)


@extend_schema_view(update=RENAME, partial_update=RENAME)
class OperatorViewSet(Resource, Renamed, mixins.CreateModelMixin, mixins.DestroyModelMixin):
    """Operators (the Operators tab): rename (PUT/PATCH name); delete is refused while the
    operator has DIDs."""

    noun = "operator"
    rename = operator_services.operator_rename
    serializer_class = s.OperatorSerializer
    filterset_class = OperatorFilterSet
    table = OperatorTable
    refusal_fields = ("name", "reseller")

    def scope(self, user):
        return scoped(Operator.objects.select_related("reseller"), user)

    @extend_schema(request=rq.NameRequest)
    def create(self, request):
        data = checked(OperatorForm(form_data(request), user=request.user))
        op = operator_services.operator_create(**data, actor=actor_of(request))
        return self.created(op)

    def perform_destroy(self, instance):
        operator_services.operator_delete(instance, actor=actor_of(self.request))


@extend_schema_view(update=RENAME, partial_update=RENAME)
class ResellerViewSet(Resource, Renamed, mixins.CreateModelMixin):
    """Resellers: platform admins only; rename (PUT/PATCH name)."""

    noun = "reseller"
    rename = account_services.reseller_rename
    serializer_class = s.ResellerSerializer
    filterset_class = ResellerFilterSet
    table = ResellerTable
    refusal_fields = ("name",)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not is_admin(request.user):
            raise PermissionDenied("Only platform admins manage resellers.")

    def scope(self, user):
        return Reseller.objects.all()

    @extend_schema(request=rq.NameRequest)
    def create(self, request):
        data = checked(ResellerForm(form_data(request, reseller=False)))
        reseller = account_services.reseller_create(**data, actor=actor_of(request))
        return self.created(reseller)


@extend_schema_view(update=RENAME, partial_update=RENAME)
class ClientViewSet(Resource, Renamed, mixins.CreateModelMixin, mixins.DestroyModelMixin):
    """Clients: rename (PUT/PATCH name); delete (with its accounts and subscriptions) is
    refused while DIDs are linked to it."""

    noun = "client"
    rename = client_services.client_rename
    serializer_class = s.ClientSerializer
    filterset_class = ClientFilterSet
    table = ClientTable
    refusal_fields = ("name", "reseller")

    def scope(self, user):
        return client_selectors.clients_for(user)

    @extend_schema(request=rq.NameRequest)
    def create(self, request):
        data = checked(ClientForm(form_data(request), user=request.user))
        client = client_services.client_create(**data, actor=actor_of(request))
        return self.created(client)

    def perform_destroy(self, instance):
        client_services.client_delete(instance, actor=actor_of(self.request))


@extend_schema_view(update=RENAME, partial_update=RENAME)
class AccountViewSet(Resource, Renamed, mixins.CreateModelMixin, mixins.DestroyModelMixin):
    """Accounts: rename (PUT/PATCH name); delete is refused while DIDs are linked to it."""

    noun = "account"
    rename = client_services.account_rename
    serializer_class = s.AccountSerializer
    filterset_class = AccountFilterSet
    table = AccountTable
    refusal_fields = ("name", "client")

    def scope(self, user):
        return client_selectors.accounts_for(user)

    @extend_schema(request=rq.AccountRequest)
    def create(self, request):
        raw = form_data(request, reseller=False)
        client = self.related(client_selectors.clients_for, raw.get("client"), "client", "Client")
        data = checked(AccountForm(raw))
        account = client_services.account_create(client=client, **data, actor=actor_of(request))
        return self.created(account)

    def perform_destroy(self, instance):
        client_services.account_delete(instance, actor=actor_of(self.request))


class PackageViewSet(Resource, mixins.CreateModelMixin, mixins.UpdateModelMixin):
    serializer_class = s.PackageSerializer
    filterset_class = PackageFilterSet
    table = PackageTable
    refusal_fields = ("name", "reseller", "did_allowance", "allowed_tags", "hold_days", "archived")

    def scope(self, user):
        return packages_for(user)

    @extend_schema(request=rq.PackageRequest)
    def create(self, request):
        data = checked(PackageForm(form_data(request), user=request.user))
        package = package_services.package_create(**data, actor=actor_of(request))
        return self.created(package)

    @extend_schema(request=rq.PackageRequest)
    def update(self, request, pk=None, partial=False):
        package = self.get_object()
        current = s.PackageSerializer(package).data
        current["allowed_tags"] = ", ".join(current["allowed_tags"] or [])
        raw = {**current, **form_data(request, reseller=False)}
        data = checked(PackageForm(raw, user=request.user, instance=package))
        data.pop("reseller", None)
        result = package_services.package_update(package, **data, actor=actor_of(request))
        return Response(s.PackageSerializer(result.package).data)


@extend_schema_view(update=END_DATE, partial_update=END_DATE)
class SubscriptionViewSet(Resource, mixins.CreateModelMixin, mixins.UpdateModelMixin):
    """Client Packages: create, change the end date (PUT/PATCH end_date), cancel, reactivate."""

    serializer_class = s.SubscriptionSerializer
    filterset_class = SubscriptionFilterSet
    table = SubscriptionTable
    refusal_fields = ("client", "package", "start_date", "end_date")

    def scope(self, user):
        return subscription_selectors.subscriptions_for(user)

    @extend_schema(request=rq.SubscriptionRequest)
    def create(self, request):
        data = checked(SubscriptionForm(form_data(request, reseller=False), user=request.user))
        sub = subscription_services.subscription_create(**data, actor=actor_of(request))
        return self.created(sub)

    def update(self, request, pk=None, partial=False):
        sub = self.get_object()
        raw = form_data(request, reseller=False)
        if isinstance(request.data, dict) and "end_date" in request.data:
            raw.setdefault("end_date", "")  # null: no end
        else:
            raw["end_date"] = sub.end_date.isoformat() if sub.end_date else ""  # unchanged
        data = checked(EndDateForm(raw, instance=sub))
        subscription_services.subscription_set_end_date(
            sub, end_date=data["end_date"], actor=actor_of(request)
        )
        return Response(self.get_serializer(sub).data)

    @extend_schema(request=None, responses=rq.MoveResultSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Active -> Cancelled; its Active and Blocked DIDs go On Hold."""
        result = lifecycle.cancel_subscription(self.get_object(), actor=actor_of(request))
        return Response(moved(result))

    @extend_schema(request=None, responses=rq.MoveResultSerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        """Cancelled or Expired -> Active; its DIDs still On Hold become Active again."""
        result = lifecycle.reactivate_subscription(self.get_object(), actor=actor_of(request))
        return Response(moved(result))


class JobViewSet(Resource):
    """Background jobs (New DIDs, Mass Edit, exports, imports) of the user's reseller."""

    serializer_class = s.JobSerializer
    filterset_class = JobFilterSet
    table = JobTable

    def scope(self, user):
        return jobs_for(user)


class ImportViewSet(Resource, mixins.CreateModelMixin):
    """Import DIDs: upload a file (its dry run runs at once, or as a job for a big file),
    read the report, then apply all rows or only the valid ones."""

    serializer_class = s.ImportSerializer
    table = ImportTable
    refusal_fields = ("file", "operator", "status", "after_hold", "tag", "notes", "mode")

    def scope(self, user):
        return import_selectors.jobs_for(user)

    @extend_schema(request={"multipart/form-data": rq.ImportRequest})
    def create(self, request):
        form = ImportUploadForm(
            form_data(request, reseller=False), request.FILES, user=request.user
        )
        checked(form)
        job = import_services.upload(**form.upload_args(), user=request.user)
        try:
            mapping, has_header = self._columns(request, job)
        except ValidationError:
            import_services.cancel(job)  # nothing is kept of a refused upload
            raise
        import_services.choose_columns(job, mapping=mapping, has_header=has_header)
        job.refresh_from_db()
        code = status.HTTP_202_ACCEPTED if job.status == ImportStatus.RUNNING else 201
        return Response(s.ImportSerializer(job).data, status=code)

    @staticmethod
    def _columns(request, job) -> tuple[list[str], bool]:
        """The columns' fields (``mapping``: one field name or "" per column; default: as
        read from the header) and ``has_header``, checked by step 2's own form."""
        given = request.data.get("mapping")
        if given in (None, ""):
            return job.mapping, job.has_header
        names = given.split(",") if isinstance(given, str) else given
        if not isinstance(names, list) or len(names) != len(job.mapping):
            raise ValidationError(
                {
                    "mapping": [
                        f"Mapping: one field (or an empty one) for each of the file's "
                        f"{len(job.mapping):,} columns."
                    ]
                }
            )
        data = {f"col_{i}": str(name).strip() for i, name in enumerate(names)}
        header = str(request.data.get("has_header", job.has_header)).lower()
        if header in ("1", "true", "on", "yes"):
            data["has_header"] = "on"
        form = MappingForm(data, columns=len(job.mapping))
        checked(form)
        return form.mapping(), form.cleaned_data["has_header"]

    @extend_schema(request=rq.ApplyRequest, responses=s.ImportSerializer)
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """Apply the checked file: ``all`` rows (refused if any row is refused) or only the
        ``valid`` ones."""
        job = self.get_object()
        mode = request.data.get("mode")
        if mode not in ("all", "valid"):
            raise ValidationError({"mode": ["Mode: choose all or valid."]})
        if job.status != ImportStatus.DRY_RUN:
            raise ValidationError({"mode": ["Apply: this import is not waiting to be applied."]})
        import_services.start(job, mode)
        job.refresh_from_db()
        code = status.HTTP_202_ACCEPTED if job.status == ImportStatus.RUNNING else 200
        return Response(s.ImportSerializer(job).data, status=code)

    @extend_schema(request=rq.NamesRequest, responses=s.ImportSerializer)
    @action(detail=True, methods=["post"])
    def names(self, request, pk=None):
        """Step 2's names: for each name of the dry run's ``counts.unknown``, ``""`` (leave
        its rows refused), ``"new"`` (create it) or an existing object's id; then the dry
        run again."""
        job = self.get_object()
        offered = import_services.names_offered(job)
        if job.status != ImportStatus.DRY_RUN or not offered:
            raise ValidationError({"names": ["Names: this import is not waiting for its names."]})
        given = request.data.get("names")
        if not isinstance(given, dict):
            raise ValidationError({"names": ["Names: an object of {kind: {name: choice}}."]})
        data = {}
        for kind, listed in offered.items():
            chosen = given.get(kind) if isinstance(given.get(kind), dict) else {}
            for i, raw in enumerate(listed):
                data[f"{kind}_{i}"] = str(chosen.get(raw, "") or "")
        form = NamesForm(data, unknown=offered, reseller_id=job.reseller_id)
        checked(form)
        import_services.choose_names(job, form.choices())
        job.refresh_from_db()
        code = status.HTTP_202_ACCEPTED if job.status == ImportStatus.RUNNING else 200
        return Response(s.ImportSerializer(job).data, status=code)


class AuditViewSet(Resource):
    """The audit log, newest first: every change, grouped by change set."""

    serializer_class = s.AuditRecordSerializer
    filterset_class = AuditFilterSet
    table = AuditTable

    def scope(self, user):
        return audit_selectors.records_for(user.reseller_id, every_reseller=is_admin(user))

    @extend_schema(responses=s.ChangeSetSerializer)
    @action(
        detail=False,
        url_path=r"change-sets/(?P<change_set>[0-9a-fA-F-]{32,36})",
        url_name="change_set",
    )
    def change_set(self, request, change_set=None):
        """One change set: who did it, when, and how many records of each action; its
        records are ``audit/?change_set=<id>``."""
        summary = audit_selectors.change_set_summary(self.get_queryset(), change_set)
        if summary is None:
            raise Http404("No such change set.")
        return Response(s.ChangeSetSerializer(summary).data)
