"""Import DIDs, the forms of its steps: 1. the file and the defaults; 2. a field (or Skip)
for each column of the file."""

from __future__ import annotations

from django import forms
from django.conf import settings

from accounts.tenancy import scoped
from config.limits import NOTES_MAX, length_message
from inventory.choices import AfterHold, Status
from inventory.forms import INITIAL_CHOICES
from operators.models import Operator

from . import names, readers
from .errors import ImportFileError
from .readers import kind_of
from .spec import FIELDS, check_mapping

DELIMITER_CHOICES = [
    ("", "autodetect"),
    ("comma", "comma ( , )"),
    ("semicolon", "semicolon ( ; )"),
    ("tab", "tab"),
    ("pipe", "pipe ( | )"),
]
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}


class ImportUploadForm(forms.Form):
    """Step 1: the file, how to read it, and the values for what the file leaves out."""

    file = forms.FileField(
        label="Select the file to import",
        error_messages={
            "required": "File: choose a .csv, .xls or .xlsx file.",
            "empty": "File: the file is empty.",
        },
    )
    delimiter = forms.ChoiceField(
        label="Fields delimiter", choices=DELIMITER_CHOICES, required=False
    )
    encoding = forms.ChoiceField(
        label="Encoding",
        choices=[("", "autodetect"), *readers.ENCODINGS.items()],
        required=False,
        help_text="A CSV's text encoding: UTF-8 (with or without a BOM) and UTF-16 are "
        "detected, and so is Windows-1252; choose one if the letters look wrong.",
    )
    operator = forms.ModelChoiceField(
        queryset=Operator.objects.none(),
        label="Operator",
        required=False,
        empty_label="— from the file —",
        error_messages={"invalid_choice": "Operator: choose one of your operators."},
    )
    status = forms.ChoiceField(
        label="Status",
        choices=INITIAL_CHOICES,
        initial=Status.RESERVED,
        error_messages={"invalid_choice": "Status: new DIDs start Reserved, In Stock or Archive."},
    )
    after_hold = forms.ChoiceField(
        label="After Hold",
        choices=AfterHold.choices,
        initial=AfterHold.RESERVED,
        error_messages={"invalid_choice": "After Hold: choose In Stock, Reserved or Archive."},
    )
    tag = forms.CharField(
        label="Tag",
        max_length=64,
        required=False,
        error_messages={"max_length": "Tag: at most 64 characters."},
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": length_message("Notes", NOTES_MAX)},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        ops = scoped(Operator.objects.select_related("reseller"), user).order_by("name")
        self.fields["operator"].queryset = ops
        self.fields["operator"].label_from_instance = lambda op: (
            f"{op.name} ({op.reseller.name})" if user.is_platform_admin else op.name
        )
        if not user.is_platform_admin and len(ops[:2]) == 1:
            self.fields["operator"].initial = ops[0].pk

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            self.kind = kind_of(upload.name)
        except ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        if not upload.size:
            raise forms.ValidationError(f"File: “{upload.name}” is empty.")
        limit = settings.IMPORT_MAX_FILE_SIZE
        if upload.size > limit:
            raise forms.ValidationError(
                f"File: “{upload.name}” is {upload.size / 2**20:,.1f} MB; the most one import "
                f"may be is {limit / 2**20:,.0f} MB. Split it into smaller files."
            )
        return upload

    def upload_args(self) -> dict:
        """What ``imports.services.upload`` takes from the valid form: the file, its kind, how
        to read it, and the defaults for what the file leaves out."""
        data = self.cleaned_data
        return {
            "uploaded": data["file"],
            "kind": self.kind,
            "delimiter": DELIMITERS.get(data["delimiter"], ""),
            "encoding": data.get("encoding") or "",
            "defaults": {
                "operator": data["operator"].pk if data["operator"] else None,
                "status": data["status"],
                "after_hold": data["after_hold"],
                "tag": data["tag"].strip(),
                "notes": data["notes"],
            },
        }


class MappingForm(forms.Form):
    """Step 2: a field (or Skip) for each column of the file."""

    has_header = forms.BooleanField(label="The first row holds the column names", required=False)

    def __init__(self, *args, columns: int, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Skip"), *FIELDS]
        for i in range(columns):
            self.fields[f"col_{i}"] = forms.ChoiceField(
                label=f"Column {i + 1}", choices=choices, required=False
            )

    def mapping(self) -> list[str]:
        return [
            self.cleaned_data.get(name) or "" for name in self.fields if name.startswith("col_")
        ]

    def clean(self):
        data = super().clean()
        for error in check_mapping(self.mapping()):
            self.add_error(None, error)
        return data


class NamesForm(forms.Form):
    """Step 2's names: one choice for each name of the file that matches nothing: leave
    its rows refused, create it (where the user may), or one of the user's existing ones.
    Fields are ``<kind>_<n>``, the n-th unknown name of that kind."""

    def __init__(self, *args, unknown: dict, reseller_id, initial=None, **kwargs):
        super().__init__(*args, **kwargs)
        initial = initial or {}
        self.names: list[tuple[str, str, str]] = []  # (field, kind, name)
        for kind in names.KINDS:
            listed = (unknown or {}).get(kind) or []
            if not listed:
                continue
            choices = [("", "leave its rows refused")]
            existing = names.options(kind, reseller_id)
            for i, raw in enumerate(listed):
                options = list(choices)
                if names.can_create(kind, reseller_id):
                    label = (
                        "create this subscription"
                        if kind == "subscription"
                        else (f"create {names.LABELS[kind].lower()} “{raw}”")
                    )
                    options.append((names.NEW, label))
                if existing:
                    options.append((f"Existing {names.LABELS[kind].lower()}s", existing))
                field = f"{kind}_{i}"
                self.fields[field] = forms.ChoiceField(
                    label=raw,
                    choices=options,
                    required=False,
                    initial=(initial.get(kind) or {}).get(raw, ""),
                    error_messages={
                        "invalid_choice": f"{names.LABELS[kind]}: “{raw}”: choose one of "
                        "the choices offered."
                    },
                )
                self.fields[field].kind = kind
                self.names.append((field, kind, raw))

    def groups(self):
        """The fields by kind, for the template: [(label, [bound field, ...]), ...]."""
        out: dict[str, list] = {}
        for field, kind, _raw in self.names:
            out.setdefault(names.LABELS[kind], []).append(self[field])
        return list(out.items())

    def choices(self) -> dict[str, dict[str, str]]:
        chosen: dict[str, dict[str, str]] = {}
        for field, kind, raw in self.names:
            chosen.setdefault(kind, {})[raw] = self.cleaned_data.get(field) or ""
        return chosen
