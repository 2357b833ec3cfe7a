"""DIDs over the REST API: the list (the DID Inventory's filters, sorts and pages), New DIDs
in bulk, edits, delete, and the lifecycle's moves, one DID at a time or in bulk (ticked ids
or all matching a filter, with a dry run that counts what would move and what would be
refused, as the Mass Edit confirmation does). Big work goes to the worker, as on the pages."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404, QueryDict
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from clients.selectors import accounts_for
from inventory import lifecycle
from inventory import selectors as inventory_selectors
from inventory.choices import Status
from inventory.filtersets import DIDFilterSet
from inventory.forms import MassEditForm, NewDIDsForm
from inventory.scoping import dids_for
from inventory.services import (
    DIDsExist,
    create_dids,
    created_message,
    delete_dids,
    find_existing,
    update_dids,
)
from inventory.tables import DIDTable
from jobs import services as jobs
from jobs.models import Job
from subscriptions.selectors import subscriptions_for

from . import requests as rq
from . import serializers as s
from .base import Resource, actor_of, checked, form_data, moved

IDS_MAX = 10_000
# The moves named in the URL and the status each leads to, from the lifecycle's own table of
# manual moves (block -> Blocked, activate -> Active, hold -> On Hold); release leads to each
# DID's after-hold status and set-status to the one asked for.
MOVES = {
    str(trigger): status
    for status, trigger in lifecycle.MANUAL_TRIGGER.items()
    if trigger != lifecycle.Trigger.SET_STATUS
}


class DIDViewSet(Resource, mixins.DestroyModelMixin):
    serializer_class = s.DIDSerializer
    filterset_class = DIDFilterSet
    table = DIDTable
    refusal_fields = ("numbers", "operator", "status", "tag", "notes", "account", "ids")

    def scope(self, user):
        return dids_for(user).select_related("operator", "client")

    def default_sort(self, params):
        return DIDTable.default_for(params)

    def list_count(self, queryset):
        """The list's count as the page shows it (the filter backend has already refused a
        filter that is not valid)."""
        search = DIDFilterSet(self.request.query_params, queryset=queryset, request=self.request)
        search.is_valid()
        return inventory_selectors.search_count(search, queryset)

    def page_plan(self, counted):
        return inventory_selectors.page_plan(counted)

    # ----------------------------------------------------------------------- create, edit

    @extend_schema(
        request=rq.NewDIDsRequest,
        responses={
            201: OpenApiResponse(description="Created: {created, message}"),
            202: OpenApiResponse(description="A big range runs as a job: {job, message}"),
        },
    )
    def create(self, request):
        """New DIDs: numbers and ranges, with the rules of the New DIDs page. Above the
        background threshold the work is a job (202, its id to follow under /jobs/)."""
        data = form_data(request, reseller=False)
        form = NewDIDsForm(data, user=request.user)
        cleaned = checked(form)
        skip = str(data.get("skip_existing", "")).lower() in ("1", "true", "on", "yes")
        params = {
            **{k: cleaned[k] for k in ("numbers", "status", "after_hold", "notes")},
            "operator_id": cleaned["operator"].pk,
            "tag": cleaned["tag"].strip(),
            "skip_existing": skip,
        }
        if form.spec.total > jobs.threshold():
            if not skip:
                count, total = find_existing(form.spec)
                if count:
                    raise DIDsExist(count, total)
            job = jobs.start(
                Job.Kind.CREATE_DIDS, user=request.user, params=params, total=form.spec.total
            )
            message = f"New DIDs runs as job {job.pk}."
            return Response({"job": job.pk, "message": message}, status=status.HTTP_202_ACCEPTED)
        fields = {k: v for k, v in params.items() if k not in ("numbers", "operator_id")}
        result = create_dids(
            form.spec, operator=cleaned["operator"], **fields, actor=actor_of(request)
        )
        return Response(
            {"created": result.created, "message": created_message(result)},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=rq.DIDEditRequest)
    def partial_update(self, request, pk=None):
        """Edit a DID's After Hold, Tag, Notes, Hold days or Operator (one of its reseller's;
        its status moves by the actions)."""
        did = self.get_object()
        data = form_data(request, reseller=False)
        if "status" in data or "set_status" in data:
            raise ValidationError(
                {"status": ["Status: use the set-status, block, activate, hold or release action."]}
            )
        form = MassEditForm(data, user=request.user)
        checked(form)
        operator = form.cleaned_data.get("operator")
        if operator is not None and operator.reseller_id != did.reseller_id:
            raise ValidationError(
                {
                    "operator": [
                        f"Operator: {operator.name} belongs to another reseller than DID {did}."
                    ]
                }
            )
        update_dids([did.pk], form.changes(), actor=actor_of(request))
        return Response(self.get_serializer(self.get_object()).data)

    def perform_destroy(self, instance):
        delete_dids(instance, actor=actor_of(self.request))

    # ----------------------------------------------------------------------- one DID

    def _one(self, request, move, **kwargs):
        did = self.get_object()
        if move is lifecycle.assign:
            kwargs = self._assignment(request)
        return Response(moved(move(did, actor=actor_of(request), **kwargs)))

    @extend_schema(request=rq.AssignRequest, responses=rq.MoveResultSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """In Stock -> Active on an account, under the client's active subscription."""
        return self._one(request, lifecycle.assign)

    @extend_schema(request=None, responses=rq.MoveResultSerializer)
    @action(detail=True, methods=["post"])
    def block(self, request, pk=None):
        return self._one(request, lifecycle.block)

    @extend_schema(request=None, responses=rq.MoveResultSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._one(request, lifecycle.activate)

    @extend_schema(request=None, responses=rq.MoveResultSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request, pk=None):
        return self._one(request, lifecycle.hold)

    @extend_schema(request=None, responses=rq.MoveResultSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        return self._one(request, lifecycle.release_now)

    @extend_schema(request=rq.StatusRequest, responses=rq.MoveResultSerializer)
    @action(detail=True, methods=["post"], url_path="set-status", url_name="set_status")
    def set_status(self, request, pk=None):
        """Set Status to: the manual move that leads to ``status``."""
        did = self.get_object()
        target = self._status(request.data.get("status"))
        return Response(moved(lifecycle.change_status(did, target, actor=actor_of(request))))

    # ----------------------------------------------------------------------- in bulk

    def _status(self, value) -> str:
        if value not in Status.values:
            choices = ", ".join(Status.values)
            raise ValidationError({"status": [f"Status: choose one of {choices}."]})
        return value

    def _assignment(self, request) -> dict:
        data = request.data
        account = self.related(accounts_for, data.get("account"), "account", "Account")
        out = {"account": account}
        if data.get("subscription") not in (None, ""):
            out["subscription"] = self.related(
                subscriptions_for, data.get("subscription"), "subscription", "Subscription"
            )
        return out

    def _selection(self, request):
        """The DIDs of a bulk request: ``ids`` (each the user's, else 404) or every DID
        matching ``filter`` (the DID list's filters); and the query of that filter."""
        ids, given = request.data.get("ids"), request.data.get("filter")
        if (ids is None) == (given is None):
            raise ValidationError({"ids": ["Ids: send ids, or a filter, not both."]})
        if ids is not None:
            if not isinstance(ids, list) or not ids or len(ids) > IDS_MAX:
                raise ValidationError({"ids": [f"Ids: a list of 1 to {IDS_MAX:,} DID ids."]})
            if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
                raise ValidationError({"ids": ["Ids: each id is a whole number."]})
            wanted = set(ids)
            qs = dids_for(request.user).filter(pk__in=wanted)
            if qs.count() != len(wanted):
                raise Http404("No such DID.")
            return qs, sorted(wanted), ""
        if not isinstance(given, dict):
            raise ValidationError({"filter": ["Filter: an object of the DID list's filters."]})
        query = QueryDict(mutable=True)
        for key, value in given.items():
            if isinstance(value, list | dict):
                raise ValidationError({"filter": [f"Filter: {key} takes one value."]})
            query[str(key)[:100]] = str(value)
        search = DIDFilterSet(query, queryset=dids_for(request.user), request=request)
        if not search.is_valid():
            raise ValidationError(
                {"filter": [m for errors in search.form.errors.values() for m in errors]}
            )
        return search.qs, None, query.urlencode()

    def _bulk(self, request, name: str):
        qs, ids, query = self._selection(request)
        dry_run = bool(request.data.get("dry_run"))
        actor = actor_of(request)
        target = MOVES.get(name)
        if name == "set-status":
            target = self._status(request.data.get("status"))
        if target is not None and dry_run:
            return Response(moved(lifecycle.preview_change_status(qs, target), dry_run=True))
        total = qs.count()
        if total > jobs.threshold():
            if target is None:
                raise ValidationError(
                    {"ids": [f"{name.title()}: at most {jobs.threshold():,} DIDs at once."]}
                )
            job = jobs.start(
                Job.Kind.MASS_EDIT,
                user=request.user,
                total=total,
                params={
                    "action": "update",
                    "q": query,
                    "ids": ids,
                    "set_status": target,
                    "changes": {},
                    "promised": total,
                },
            )
            result = lifecycle.MoveResult(trigger=name)
            message = f"Mass Edit of {total:,} DIDs runs as job {job.pk}."
            return Response(moved(result, message=message, job=job.pk), status=202)
        with transaction.atomic():
            if name == "assign":
                result = lifecycle.assign(qs, actor=actor, **self._assignment(request))
            elif name == "release":
                result = lifecycle.release_now(qs, actor=actor, strict=False)
            else:
                result = lifecycle.change_status(qs, target, actor=actor, strict=False)
            if dry_run:
                transaction.set_rollback(True)  # release and assign: the move itself, undone
        return Response(moved(result, dry_run=dry_run))

    @extend_schema(request=rq.BulkRequest, responses=rq.MoveResultSerializer)
    @action(detail=False, methods=["post"], url_path=r"bulk/(?P<move>[a-z-]{1,12})")
    def bulk(self, request, move=None):
        """A move on many DIDs: ``move`` is assign, block, activate, hold, release or
        set-status."""
        if move not in ("assign", "release", "set-status", *MOVES):
            raise Http404("No such move.")
        return self._bulk(request, move)
