"""Advanced Search of the DID Inventory: django-filter, every field in the URL."""

from __future__ import annotations

import datetime as dt
import re

import django_filters as df
from django import forms
from django.db.models import Q, Value
from django.utils import timezone

from accounts.tenancy import resellers_for, scoped
from clients.models import Account, Client
from config.limits import AREA_CODE_MAX, NAME_MAX, NUMBER_MAX
from core.filtersets import bounded_text
from operators.models import Operator

from . import geography
from .choices import AfterHold, Status
from .numbers import NUMBER

_DIGITS = re.compile(r"^\+?[0-9]*$")


# The longest text each search field takes: a name, a list of tags, a DID range.
CLIENT_MAX = NAME_MAX
TAGS_MAX = 1_000
DID_MAX = 2 * NUMBER_MAX + 1
# A date PostgreSQL and Python both hold in any time zone ("Hold ends before").
DATE_RANGE = (dt.date(1000, 1, 1), dt.date(9000, 12, 31))
# More clients (or accounts) than this matching a name: the search runs as a subquery.
ID_LIST_MAX = 1_000


class DIDSearchForm(forms.Form):
    """Checks the DID field against the chosen match before anything is searched, and words
    every error as "Field: reason". A value that is not valid (a NUL character, text past its
    length, a choice that is not offered) stops the search here, before any query."""

    def _post_clean(self):
        super()._post_clean()
        for name, errors in list(self._errors.items()):
            field = self.fields.get(name)
            label = field.label if field is not None and field.label else ""
            if not label:
                continue
            self._errors[name] = self.error_class(
                [e if e.startswith(f"{label}:") else f"{label}: {e}" for e in errors]
            )

    def clean_hold_ends_before(self):
        value = self.cleaned_data.get("hold_ends_before")
        if value is not None and not DATE_RANGE[0] <= value <= DATE_RANGE[1]:
            raise forms.ValidationError(
                f"enter a date from {DATE_RANGE[0].isoformat()} to {DATE_RANGE[1].isoformat()}."
            )
        return value

    def clean_area_code(self):
        value = (self.cleaned_data.get("area_code") or "").strip()
        if value and not value.isdigit():
            raise forms.ValidationError("use digits only, the ones after the calling code.")
        return value

    def clean(self):
        data = super().clean()
        if data.get("area_code") and not data.get("country") and "country" not in self.errors:
            self.add_error("area_code", "choose a Country too: an area code is within one.")
        value = (data.get("did") or "").strip().replace(" ", "")
        match = data.get("did_match") or "exact"
        if not value:
            return data
        if match == "range":
            first, sep, last = value.partition("-")
            if not sep or not NUMBER.match(first) or not NUMBER.match(last):
                self.add_error(
                    "did", "DID: write a range as first-last, e.g. 4155550100-4155550199."
                )
            elif first.startswith("+") != last.startswith("+"):
                self.add_error("did", "DID: both ends of the range need a leading + or neither.")
            elif (len(first), first) > (len(last), last):
                self.add_error("did", f"DID: the range {value} runs backwards.")
        elif not _DIGITS.match(value):
            shown = value if len(value) <= 40 else value[:40] + "…"
            self.add_error("did", f"DID: “{shown}” is not a number; use digits and an optional +.")
        return data


def _operators(request):
    if request is None:
        return Operator.objects.none()
    return scoped(Operator.objects.select_related("reseller"), request.user).order_by("name")


def _resellers(request):
    return resellers_for(request.user) if request is not None else None


class DIDFilterSet(df.FilterSet):
    MATCH_CHOICES = [
        ("exact", "exact"),
        ("prefix", "starts with"),
        ("contains", "contains"),
        ("range", "range (first-last)"),
    ]

    status = df.MultipleChoiceFilter(
        choices=Status.choices,
        label="Status",
        widget=forms.CheckboxSelectMultiple,
        distinct=False,  # one row per DID already; DISTINCT would scan every match
    )
    operator = df.ModelChoiceFilter(
        queryset=_operators, label="Operator", empty_label="all operators"
    )
    reseller = df.ModelChoiceFilter(
        queryset=_resellers, label="Reseller", empty_label="all resellers"
    )
    client = bounded_text("Client", CLIENT_MAX, method="filter_client")
    account = bounded_text("Account", CLIENT_MAX, method="filter_account")
    tag = bounded_text("Tags", TAGS_MAX, method="filter_tag")
    did = bounded_text("DID", DID_MAX, method="filter_did")
    did_match = df.ChoiceFilter(
        choices=MATCH_CHOICES, method="filter_noop", label="DID match", empty_label=None
    )
    country = df.ChoiceFilter(
        choices=geography.countries, method="filter_country", label="Country", empty_label="any"
    )
    area_code = bounded_text("Area code", AREA_CODE_MAX, method="filter_noop")
    after_hold = df.ChoiceFilter(
        field_name="after_hold_status",
        choices=AfterHold.choices,
        label="After Hold",
        empty_label="any",
    )
    hold_ends_before = df.DateFilter(
        method="filter_hold_ends_before",
        label="Hold ends before",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        fields: list[str] = []
        form = DIDSearchForm

    def filter_hold_ends_before(self, queryset, name, value):
        # Midnight at the start of that day, in the site's time zone.
        start = timezone.make_aware(dt.datetime.combine(value, dt.time.min))
        return queryset.filter(hold_until__lt=start)

    def filter_noop(self, queryset, name, value):
        return queryset

    def filter_country(self, queryset, name, value):
        """A country (and area code) is a set of leading digits of the stored number: index
        range scans of ``number``, with or without its ``+``."""
        q = geography.number_q(value, self.form.cleaned_data.get("area_code") or "")
        return queryset.filter(Value(False)) if q is None else queryset.filter(q)

    def filter_client(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        clients = scoped(Client.objects.all(), self.request.user).filter(name__icontains=value)
        return _in_ids(queryset, "client_id", clients)

    def filter_account(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        accounts = scoped(Account.objects.all(), self.request.user, "client__reseller").filter(
            name__icontains=value
        )
        return _in_ids(queryset, "account_id", accounts)

    def filter_tag(self, queryset, name, value):
        tags = [t for t in value.replace(",", " ").split() if t]
        if not tags:
            return queryset
        return queryset.filter(tag__in=tags)

    def filter_did(self, queryset, name, value):
        value = value.strip().replace(" ", "")
        if not value:
            return queryset
        match = self.form.cleaned_data.get("did_match") or "exact"
        if match == "range":
            first, _, last = value.partition("-")
            # Numeric order: shorter numbers first, then byte order within one length.
            lf, ll = len(first), len(last)
            cond = (
                Q(number__length=lf, number__gte=first)
                if lf != ll
                else Q(number__length=lf, number__gte=first, number__lte=last)
            )
            if lf != ll:
                cond |= Q(number__length__gt=lf, number__length__lt=ll)
                cond |= Q(number__length=ll, number__lte=last)
            plus = "+" if first.startswith("+") else ""
            qs = queryset.filter(number__gte=first if lf == ll else plus).filter(cond)
            return qs.filter(number__startswith="+") if plus else qs.exclude(number__startswith="+")
        if match == "prefix":
            return queryset.filter(number__startswith=value)
        if match == "contains":
            return queryset.filter(number__contains=value)
        return queryset.filter(number=value)


def _in_ids(queryset, column: str, matches):
    """``queryset`` limited to rows whose ``column`` is one of the ids of ``matches``.

    A literal id list (clients are few per name) lets the (client, id) index order rows; many
    matches go as a subquery instead, so none is left out. No match at all is a plain
    ``WHERE false``: Django turns an empty ``IN ()`` into a query that cannot be written as
    SQL, and the paths that send a search's SQL themselves (counts, exports, Mass Edit)
    would fail on it, where this one is a valid, empty search.
    """
    ids = list(matches.values_list("id", flat=True)[: ID_LIST_MAX + 1])
    if not ids:
        return queryset.filter(Value(False))
    if len(ids) > ID_LIST_MAX:
        return queryset.filter(**{f"{column}__in": matches.values("id")})
    return queryset.filter(**{f"{column}__in": ids})
