"""The layers hold: the import-linter contracts of pyproject.toml are kept, no project module
is imported inside a function (the way a cycle used to be dodged), and no module uses another
module's private (underscore) name."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "root_packages"
]

# Function-level imports of project modules that are not there to dodge a cycle:
# (file, function): why.
ALLOWED_INNER_IMPORTS = {
    # A standalone script: it imports the models only after its main() ran django.setup().
    ("bench/export_probe.py", "_view"): "after django.setup()",
    ("bench/export_probe.py", "_job"): "after django.setup()",
}


def _sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _target(node: ast.ImportFrom, path: Path) -> str:
    """The absolute module an ``ImportFrom`` imports from."""
    if not node.level:
        return node.module or ""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package.pop()
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _is_project(module: str) -> bool:
    return module.split(".")[0] in [*PACKAGES, "tests"]


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_the_import_linter_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_project_module_is_imported_inside_a_function():
    found = []
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(), filename=rel)
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            # An AppConfig.ready() registers the app's handlers once the models are loaded:
            # Django's own place for such imports.
            if path.name == "apps.py" and fn.name == "ready":
                continue
            if (rel, fn.name) in ALLOWED_INNER_IMPORTS:
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    modules = [_target(node, path)]
                else:
                    continue
                found += [f"{rel}:{node.lineno} {m}" for m in modules if _is_project(m)]
    assert not found, "Imports inside functions (move them to the top):\n" + "\n".join(found)


def test_no_module_uses_another_modules_private_names():
    found = []
    for path in [*_sources(), *sorted((ROOT / "tests").rglob("*.py"))]:
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(), filename=rel)
        modules: set[str] = set()  # local names bound to project modules
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = _target(node, path)
                if not _is_project(target):
                    continue
                for alias in node.names:
                    if _private(alias.name):
                        found.append(f"{rel}:{node.lineno} imports {target}.{alias.name}")
                    elif _is_module(f"{target}.{alias.name}"):
                        modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if _is_project(alias.name):
                        modules.add(alias.asname or alias.name.split(".")[0])
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and _private(node.attr)
                and isinstance(node.value, ast.Name | ast.Attribute)
            ):
                root = node.value
                while isinstance(root, ast.Attribute):
                    root = root.value
                if isinstance(root, ast.Name) and root.id in modules:
                    found.append(f"{rel}:{node.lineno} uses {ast.unparse(node)}")
    assert not found, "Private names used from another module:\n" + "\n".join(found)


def test_choices_live_in_choices_py():
    found = []
    for path in _sources():
        if path.name == "choices.py":
            continue
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(), filename=rel)):
            if isinstance(node, ast.ClassDef) and any(
                ast.unparse(base).endswith(("TextChoices", "IntegerChoices")) for base in node.bases
            ):
                found.append(f"{rel}:{node.lineno} {node.name}")
    assert not found, "Choices outside the app's choices.py:\n" + "\n".join(found)
