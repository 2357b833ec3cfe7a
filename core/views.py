"""The shared generic views: each model's list, add, edit, delete and bulk edit view is a few
lines of configuration on one of these.

* ``ObjectListView``: the rows the user may see (``scope``), searched by a django-filter
  FilterSet, sorted by the ``Table``'s columns, in pages of 20/50/100/500 (keyset or offset,
  ``core.paging``), "Rows X - Y of N". A bad URL parameter is never a 500: the page says what
  it shows instead.
* ``ObjectEditView``: a form, then one service call, then a message; the service's
  ``"Field: reason"`` error goes under that field.
* ``ObjectDeleteView``: GET shows the service's preview (``core.previews.DeletePreview``),
  POST calls the service; no rule is written in the view.
* ``BulkEditView``: ticked ids or "all matching" the search; a confirmation built from the
  service's preview; inline, or in the background (``jobs.services.start``) by size.

core imports no domain app: the app's subclass supplies the queryset, its tenancy scope
(e.g. ``accounts.tenancy.scoped``), the filterset, table, form and service.
"""

from __future__ import annotations

import contextlib
import uuid

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from audit import selectors as audit_selectors
from audit.services import Actor
from jobs import services as jobs

from .forms import form_messages
from .paging import paginate
from .tables import Table

PAGE_SIZES = (20, 50, 100, 500)
CHANGE_SET_TAG = "change-set:"


def say(request, message: str, *, change_set=None, level: str = "success") -> None:
    """Show ``message``; with ``change_set``, the message links to the change set that holds
    what the action changed (every bulk action's message does; none when it changed
    nothing). The link travels as the message's tag (``core.templatetags.messages``)."""
    tags = ""
    if change_set is not None and audit_selectors.change_set_exists(change_set):
        tags = f"{CHANGE_SET_TAG}{change_set}"
    getattr(messages, level)(request, message, extra_tags=tags)


# The parameters of one page of a list: dropped from a link to another sort, size or search.
NAV_KEYS = ("after", "before", "last", "start", "page")


def per_page_of(params, sizes=PAGE_SIZES) -> tuple[int, str]:
    """The page size the URL asks for (``per_page``) and a notice when it is not one of
    ``sizes`` (the first is then shown)."""
    raw = (params.get("per_page") or "").strip()
    if not raw:
        return sizes[0], ""
    if raw.isascii() and raw.isdigit() and len(raw) < 6 and int(raw) in sizes:
        return int(raw), ""
    choices = ", ".join(str(n) for n in sizes[:-1]) + f" or {sizes[-1]}"
    return sizes[0], f"Rows per page: choose {choices}; showing {sizes[0]}."


def query(params: QueryDict, drop=(), **extra) -> str:
    """``params`` as a query string without the page parameters (and ``drop``), with
    ``extra`` set: a link to the same search with another sort, size or page."""
    q = params.copy()
    for key in (*NAV_KEYS, *drop):
        q.pop(key, None)
    for key, value in extra.items():
        q[key] = value
    return q.urlencode()


def list_context(
    request,
    qs,
    table: type[Table],
    *,
    sizes=PAGE_SIZES,
    default_sort=None,
    hidden=(),
    visible=None,
    counted=None,
    heads=None,
):
    """One page of ``qs`` as the shared list partials show it: ``page`` (``core.paging.Page``;
    None when ``qs`` is None: a search that is not valid lists nothing; ``counted``: its
    (count, exact) when the list knows it; ``heads``: see ``core.paging.paginate``), ``nav``
    (first/prev/next/last links), ``headers``, page size choices. Notices about the URL's
    parameters go to ``messages`` as warnings."""
    params = request.GET
    choice = table.sort_for(params, default_sort)
    per_page, size_notice = per_page_of(params, sizes)
    page = (
        None
        if qs is None
        else paginate(qs, choice.sort, choice.descending, per_page, params, counted, heads)
    )
    for notice in (page.notice if page else "", choice.notice, size_notice):
        if notice:
            messages.warning(request, notice)
    nav = {}
    for name in ("first", "prev", "next", "last") if page else ():
        extra = {} if name == "first" else getattr(page, f"{name}_params")
        if extra is not None:
            nav[name] = "?" + query(params, **{k: str(v) for k, v in extra.items()})
    shown = [c for c in params.getlist("show") if c in table.optional_columns()]
    return {
        "page": page,
        "nav": nav,
        "headers": table.headers(
            choice, lambda value: "?" + query(params, sort=value), shown, hidden, visible
        ),
        "visible": visible,
        "shown": shown,
        "optional_columns": table.optional_columns(),
        "sort_value": choice.value,
        "per_page": per_page,
        "page_sizes": sizes,
        "per_page_urls": [(n, "?" + query(params, per_page=str(n))) for n in sizes],
        "search_query": query(params, drop=("sort", "per_page", "show")),
    }


class ScopedMixin(LoginRequiredMixin):
    """The rows a user may see: ``queryset`` narrowed by ``scope(queryset, user)`` (the app's
    tenancy rule), or whatever ``get_queryset(request)`` returns."""

    queryset = None
    scope = None  # callable(queryset, user) -> queryset

    def get_queryset(self, request):
        qs = self.queryset.all()
        return type(self).scope(qs, request.user) if self.scope else qs

    def get_object(self, request, pk):
        return get_object_or_404(self.get_queryset(request), pk=pk)


def _url(target, obj=None) -> str:
    if callable(target):
        return target(obj)
    return reverse(target)


class ObjectListView(ScopedMixin, View):
    filterset = None  # a django-filter FilterSet class
    table: type[Table] = Table
    template_name = ""
    # The page's heading (and title), and its add button (a URL name and its label), as
    # ``core/list.html`` shows them.
    title = ""
    add_url = ""
    add_label = ""
    context_object_name = "rows"
    page_sizes = PAGE_SIZES
    # True: a filter that is not valid is left out (and shown under its field); False: a
    # search that is not valid lists nothing (a million-row list does not list them all).
    list_when_invalid = True
    invalid_status = 200  # the status of a page whose search is not valid (400: say so)

    def decorate(self, request, rows) -> None:
        """Add what the rows show besides their columns (counts: ``core.selectors.count_by``)."""

    def extra_context(self, request) -> dict:
        return {}

    def default_sort(self, params) -> str | None:
        return None  # the table's default

    def hidden_columns(self, request) -> set[str]:
        return set()  # columns this user does not see (e.g. Reseller, to a reseller's user)

    def visible_columns(self, request) -> list[str] | None:
        """The columns this user chose to see (a column chooser), or None: the table's
        own rule (optional columns ticked in the URL, ``hidden_columns`` left out)."""
        return None

    def page_queryset(self, qs):
        """The rows of one page as the page query reads them (e.g. names by prefetch)."""
        return qs

    def page_plan(self, counted: tuple[int, bool] | None):
        """A context in which the page's queries run (``core.paging.matches_first`` for a
        search the app knows matches few rows); by default none."""
        return contextlib.nullcontext()

    def sort_head(self, request, search, sort):
        """A ``core.paging.Split`` when ``sort``'s first column is mostly empty (NULL or
        ""): its offset pages then read the valued and the empty rows apart; None by
        default."""
        return None

    def count(self, request, search, qs) -> tuple[int, bool] | None:
        """(count, exact) of the list, when the app knows it better than counting ``qs``
        (``core.paging.smart_count``) does; ``search`` is the bound FilterSet or None."""
        return None

    def get(self, request, *args, **kwargs):
        qs = self.get_queryset(request)
        search = None
        status = 200
        if self.filterset is not None:
            search = self.filterset(request.GET or None, queryset=qs, request=request)
            if search.is_bound and not search.is_valid():
                status = self.invalid_status
            valid = self.list_when_invalid or not search.is_bound or search.is_valid()
            qs = self.page_queryset(search.qs) if valid else None
        else:
            qs = self.page_queryset(qs)
        counted = None if qs is None else self.count(request, search, qs)
        with self.page_plan(counted):
            context = list_context(
                request,
                qs,
                self.table,
                sizes=self.page_sizes,
                default_sort=self.default_sort(request.GET),
                hidden=self.hidden_columns(request),
                visible=self.visible_columns(request),
                counted=counted,
                heads=lambda sort: self.sort_head(request, search, sort),
            )
            rows = context["page"].rows if context["page"] else []
        self.decorate(request, rows)
        searching = bool(search) and any(
            request.GET.get(name) for name in search.form.fields if name in request.GET
        )
        context.update(
            {
                self.context_object_name: rows,
                "search": search,
                "searching": searching,
                "table": self.table,
                "title": self.title,
                "add_url": reverse(self.add_url) if self.add_url else "",
                "add_label": self.add_label,
                **self.extra_context(request),
            }
        )
        return render(request, self.template_name, context, status=status)


class ObjectEditView(ScopedMixin, View):
    """Add (no ``pk``) or edit (``pk``): the form, then ``perform`` (one service call), then
    the message it returns. The service's error (one of ``errors``) is put under the field
    its message names.

    An object added under another one (an account under its client) returns the parents the
    user may see from ``get_parent_queryset``: the URL's ``pk`` is then the parent's
    (``self.parent``; another reseller's is a 404), and the view adds."""

    form_class = None
    template_name = ""
    errors: tuple[type[Exception], ...] = ()
    success_url = None  # a URL name, or callable(obj) -> URL
    parent = None

    def form_kwargs(self, request, obj) -> dict:
        return {"user": request.user}

    def perform(self, form, *, actor: Actor, obj=None) -> tuple:
        """Call the service; return the object and the success message, or the object, the
        message and its level ("success", "info", "warning")."""
        raise NotImplementedError

    def extra_context(self, request, obj) -> dict:
        return {}

    def get_parent_queryset(self, request):
        return None  # the object is not added under another one

    def refuse(self, request, form, obj, exc) -> tuple:
        """The service refused: the form to show again and the page's status. By default
        its message goes under the field it names."""
        form.add_service_error(str(exc))
        return form, 200

    def _render(self, request, form, obj, status=200):
        context = {
            "form": form,
            "object": obj,
            "parent": self.parent,
            **self.extra_context(request, obj),
        }
        return render(request, self.template_name, context, status=status)

    def _object(self, request, pk):
        parents = self.get_parent_queryset(request)
        if parents is not None:
            self.parent = get_object_or_404(parents, pk=pk)
            return None
        return self.get_object(request, pk) if pk is not None else None

    def get(self, request, pk=None):
        obj = self._object(request, pk)
        return self._render(request, self.form_class(**self.form_kwargs(request, obj)), obj)

    def post(self, request, pk=None):
        obj = self._object(request, pk)
        form = self.form_class(request.POST, **self.form_kwargs(request, obj))
        status = 200
        if form.is_valid():
            try:
                saved, message, *level = self.perform(
                    form, actor=Actor.for_user(request.user), obj=obj
                )
            except self.errors as exc:
                form, status = self.refuse(request, form, obj, exc)
            else:
                getattr(messages, level[0] if level else "success")(request, message)
                return HttpResponseRedirect(_url(self.success_url, saved))
        return self._render(request, form, obj, status)


class ObjectDeleteView(ScopedMixin, View):
    """GET: the service's preview of the delete (``preview(obj)``: a ``DeletePreview``);
    POST: the service (``perform``), its refusal an error message, never a success."""

    template_name = ""
    errors: tuple[type[Exception], ...] = ()
    success_url = None  # a URL name, or callable(obj) -> URL
    context_object_name = "object"

    def preview(self, obj):
        raise NotImplementedError

    def perform(self, obj, *, actor: Actor) -> str:
        """Delete through the service; return the success message."""
        raise NotImplementedError

    def refused_url(self, obj) -> str:
        """Where a refused delete goes back to (default: where a done one goes)."""
        return _url(self.success_url, obj)

    def extra_context(self, request, obj) -> dict:
        return {"back": self.refused_url(obj)}  # the page's Cancel / Back

    def get(self, request, pk):
        obj = self.get_object(request, pk)
        context = {self.context_object_name: obj, "object": obj, "preview": self.preview(obj)}
        context.update(self.extra_context(request, obj))
        return render(request, self.template_name, context)

    def post(self, request, pk):
        obj = self.get_object(request, pk)
        try:
            message = self.perform(obj, actor=Actor.for_user(request.user))
        except self.errors as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(self.refused_url(obj))
        messages.success(request, message)
        return HttpResponseRedirect(_url(self.success_url, obj))


def in_background(request, kind: str, *, total: int, params: dict, back_url: str):
    """The one rule for heavy work: above ``jobs.services.threshold()`` rows, ``kind`` runs in
    the worker and this returns the redirect to its job's page; None: small enough to run in
    this request. Raises ``jobs.TooManyJobs`` when the user's job slots are full. The job's
    ``params["change_set"]`` is the change set its writes go to (``jobs.services.actor``)."""
    if total <= jobs.threshold():
        return None
    # The job's writes are one change set, named now so that the job's page can link it.
    params = {**params, "change_set": str(uuid.uuid4())}
    job = jobs.start(kind, user=request.user, params=params, total=total, back_url=back_url)
    return HttpResponseRedirect(reverse("jobs:job_detail", args=[job.pk]))


class BulkEditView(ScopedMixin, View):
    """POST with ticked ``ids`` (or ``all_matching=1`` and the search's query string in ``q``)
    and the bulk edit form. Without ``confirm``: the confirmation page, built from the
    service's ``preview(selection, form)``; with ``confirm=1``: the change, inline, or in the
    background (``in_background``, job ``job_kind``) by size. A ticked id the user may not
    see is a 404; messages start with ``label`` ("Mass Edit: ...")."""

    filterset = None
    form_class = None
    template_name = ""  # the confirmation page
    errors: tuple[type[Exception], ...] = ()
    success_url = None
    job_kind = ""
    label = ""
    nothing_selected = "select at least one row, or all matching the search."

    def form_kwargs(self, request) -> dict:
        return {}

    def form_valid(self, request, form) -> bool:
        return form.is_valid()

    def back_url(self, request) -> str:
        return _url(self.success_url)

    def preview(self, selection, form):
        raise NotImplementedError

    def confirm_context(self, request, selection, form, preview) -> dict:
        """What the confirmation shows besides ``preview``; ``will_change``: how many rows the
        change would touch (0: the page offers no active button, it would be a dead end)."""
        return {"will_change": getattr(preview, "moved", 1)}

    def perform(self, selection, form, *, actor: Actor, request) -> str | tuple[str, str]:
        """Change ``selection``; return the message, or the message and its level."""
        raise NotImplementedError

    def job_params(self, request, form, ids) -> dict:
        return {"q": request.POST.get("q", ""), "ids": ids, "data": request.POST.dict()}

    def _say(self, request, message: str, level: str = "error") -> None:
        getattr(messages, level)(request, f"{self.label}: {message}" if self.label else message)

    def selection(self, request):
        """The rows the edit applies to, and the ticked ids (None for "all matching"); (None,
        None) when nothing is ticked."""
        qs = self.get_queryset(request)
        if request.POST.get("all_matching") == "1":
            search = QueryDict(request.POST.get("q", ""))
            if self.filterset is not None:
                filterset = self.filterset(search, queryset=qs, request=request)
                if not filterset.is_valid():
                    raise Http404("The search is not valid any more.")
                qs = filterset.qs
            return qs, None
        raw = request.POST.getlist("ids")
        if not all(v.isascii() and v.isdigit() and len(v) < 19 for v in raw):
            raise Http404("Not an id.")
        ids = sorted({int(v) for v in raw})
        if not ids:
            return None, None
        selected = qs.filter(pk__in=ids)
        if selected.count() != len(ids):
            raise Http404("No such row.")
        return selected, ids

    def post(self, request):
        selection, ids = self.selection(request)
        back = self.back_url(request)
        if selection is None:
            self._say(request, self.nothing_selected)
            return HttpResponseRedirect(back)
        form = self.form_class(request.POST, **self.form_kwargs(request))
        if not self.form_valid(request, form):
            form_messages(request, form, f"{self.label}: " if self.label else "")
            return HttpResponseRedirect(back)
        total = selection.count()
        if request.POST.get("confirm") != "1":
            preview = self.preview(selection, form)
            context = {
                "form": form,
                "preview": preview,
                "ids": ids,
                "total": total,
                "back": back,
                "post": request.POST,
                **self.confirm_context(request, selection, form, preview),
            }
            return render(request, self.template_name, context)
        try:
            params = self.job_params(request, form, ids) if self.job_kind else {}
            started = self.job_kind and in_background(
                request, self.job_kind, total=total, params=params, back_url=back
            )
        except jobs.TooManyJobs as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(back)
        if started:
            return started
        actor = Actor.for_user(request.user)
        try:
            said = self.perform(selection, form, actor=actor, request=request)
        except self.errors as exc:
            self._say(request, str(exc))
        else:
            message, level = (said, "success") if isinstance(said, str) else said
            say(request, message, change_set=actor.change_set, level=level)
        return HttpResponseRedirect(back)
