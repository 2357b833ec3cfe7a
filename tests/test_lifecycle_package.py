"""The lifecycle package owns every status decision (issue 8, item 4).

- Each status set it derives from its table is the set PRODUCT.md names (``tests/product.py``
  writes those out by hand).
- The database constraints say what the table says.
- No code outside ``inventory/lifecycle/`` (migrations and tests aside) compares a DID status
  with a string literal or lists statuses as string literals: it names them with the enum
  (``Status.ACTIVE``) or asks the lifecycle for a set (``lifecycle.ROUTABLE``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.db.models import Q

from inventory import lifecycle
from inventory.choices import Status
from inventory.models import DID

from . import product

ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------- the sets


@pytest.mark.parametrize(
    "name",
    [
        "UNASSIGNED",
        "ASSIGNED",
        "INITIAL",
        "DELETABLE",
        "ASSIGNABLE",
        "ROUTABLE",
        "COUNTED_AGAINST_ALLOWANCE",
        "HOLDABLE",
        "RELEASABLE",
    ],
)
def test_each_status_set_is_the_one_product_md_names(name):
    assert set(getattr(lifecycle, name)) == set(getattr(product, name)), name


def test_the_sets_are_derived_from_the_table():
    T = lifecycle.Trigger
    assert lifecycle.sources(T.SET_STATUS) == lifecycle.UNASSIGNED
    assert frozenset(Status) == lifecycle.ASSIGNED | lifecycle.UNASSIGNED
    assert not lifecycle.ASSIGNED & lifecycle.UNASSIGNED
    assert lifecycle.sources(T.ASSIGN) == lifecycle.ASSIGNABLE
    assert lifecycle.results(T.ASSIGN) == lifecycle.ROUTABLE
    assert lifecycle.sources(T.HOLD) == lifecycle.HOLDABLE
    assert lifecycle.sources(T.RELEASE) == lifecycle.RELEASABLE
    # The names callers knew before stay the same sets.
    assert lifecycle.INITIAL_STATUSES is lifecycle.INITIAL
    assert lifecycle.DELETABLE_STATUSES is lifecycle.DELETABLE


def test_values_is_a_sorted_sql_parameter():
    assert lifecycle.values(lifecycle.ASSIGNED) == ["active", "blocked", "on_hold"]


def _condition(name: str) -> Q:
    (constraint,) = [c for c in DID._meta.constraints if c.name == name]
    return constraint.condition


def test_the_assigned_iff_linked_constraint_says_what_the_table_says():
    assigned, unassigned = _condition("did_assigned_iff_linked").children
    assert set(dict(assigned.children)["status__in"]) == set(lifecycle.ASSIGNED)
    assert set(dict(unassigned.children)["status__in"]) == set(lifecycle.UNASSIGNED)


# --------------------------------------------------------------------------- the grep

STATUS_VALUES = frozenset(Status.values)
# A status written as an SQL literal inside a Python string: ... status = 'on_hold' ...
SQL_LITERAL = re.compile(r"'(" + "|".join(sorted(STATUS_VALUES)) + r")'")
SKIP_DIRS = {".venv", "node_modules", "migrations", "tests", "var", "static", "__pycache__"}
SKIP_PREFIXES = ("inventory/lifecycle/",)


def _sources() -> list[Path]:
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        if rel.as_posix().startswith(SKIP_PREFIXES):
            continue
        out.append(path)
    return out


def _is_status(node) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in STATUS_VALUES
    )


def _name_of(func) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _is_choices_class(node) -> bool:
    """A ``TextChoices`` class: the one place a status value is spelled as a string."""
    return isinstance(node, ast.ClassDef) and any(
        _name_of(base).endswith("Choices") for base in node.bases
    )


def _violations(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []

    def visit(node):
        if _is_choices_class(node):
            return
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                if _is_status(side):
                    found.append((node.lineno, f"compared with {side.value!r}"))
        elif isinstance(node, ast.List | ast.Tuple | ast.Set):
            strings = [e for e in node.elts if isinstance(e, ast.Constant)]
            if len(strings) == len(node.elts) and any(_is_status(e) for e in strings):
                found.append((node.lineno, f"statuses listed as strings: {ast.unparse(node)}"))
        elif isinstance(node, ast.Dict):
            # A map per status ({"active": ..., "blocked": ...}); one such key alone is a
            # word ({"active": True} in a template context).
            keys = [k.value for k in node.keys if k is not None and _is_status(k)]
            if len(keys) > 1:
                found.append((node.lineno, f"keyed by the strings {keys}"))
        elif isinstance(node, ast.keyword):
            if node.arg and "status" in node.arg and _is_status(node.value):
                found.append((node.value.lineno, f"{node.arg}={node.value.value!r}"))
        elif isinstance(node, ast.Call) and "status" in _name_of(node.func).lower():
            for arg in node.args:
                if _is_status(arg):
                    found.append((node.lineno, f"{_name_of(node.func)}({arg.value!r})"))
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = SQL_LITERAL.search(node.value)
            if match:
                found.append((node.lineno, f"SQL literal {match.group(0)}"))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _check(source: str) -> list[tuple[int, str]]:
    return _violations(ast.parse(source))


@pytest.mark.parametrize(
    "source",
    [
        "ok = did.status == 'active'",
        "ok = 'on_hold' != did.status",
        "ok = status in ('reserved', 'in_stock')",
        "qs = DID.objects.filter(status__in=['active', 'blocked'])",
        "qs = DID.objects.filter(tag='', status='in_stock')",
        "COLORS = {'archive': '#888', 'active': '#0f0'}",
        "lifecycle.change_status(qs, 'reserved', actor=a)",
        "sql = 'SELECT 1 FROM t WHERE status = \\'on_hold\\''",
        "sql = f\"UPDATE {t} SET status = 'reserved' WHERE tag = %s\"",
        "class S(models.Model):\n    rows = ['active', 'Active']",
    ],
)
def test_the_grep_finds_a_status_literal(source):
    assert _check(source), source


@pytest.mark.parametrize(
    "source",
    [
        "ok = did.status in lifecycle.ROUTABLE",
        "ok = did.status == Status.ACTIVE",
        "class Status(models.TextChoices):\n    ACTIVE = 'active', 'Active'",
        "ACTIONS = {'block': (lifecycle.block, 'blocked')}",
        "messages.success(request, 'DID blocked.')",
        "EXPORT_NAMES = {Status.ACTIVE: 'active', Status.ON_HOLD: 'hold'}",
        "qs = DID.objects.filter(status=Status.IN_STOCK)",
        "label = 'Reserved'",
        "context = {'active': True, 'key': 'id'}",
    ],
)
def test_the_grep_lets_enum_names_and_messages_pass(source):
    assert not _check(source), source


def test_no_code_outside_the_lifecycle_compares_or_lists_a_status_as_a_string():
    sources = _sources()
    assert any(p.relative_to(ROOT).as_posix() == "api/views.py" for p in sources)
    problems = []
    for path in sources:
        rel = path.relative_to(ROOT).as_posix()
        for line, what in _violations(ast.parse(path.read_text(), filename=rel)):
            problems.append(f"{rel}:{line}: {what}")
    assert not problems, (
        "Status decisions belong to inventory.lifecycle: name a status with the enum "
        "(Status.ACTIVE) or use a set of the lifecycle (lifecycle.ROUTABLE, "
        "lifecycle.values(lifecycle.DELETABLE) for SQL):\n" + "\n".join(problems)
    )
