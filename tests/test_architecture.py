"""The house keeps its shape: no import circles in `app/` (function-local and TYPE_CHECKING
imports included), and no layer imports a layer above it (ARCHITECTURE.md draws them)."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = "uforge_mock"
# Bottom to top: a module may import its own layer and the ones before it, never one after.
LAYERS = (
    "settings",
    "wire",
    "jobs",
    "store",
    "platform",
    "api",
    "control",
    "dashboard",
    "factory",
    "cli",
    "testing",
    "__main__",
)


def module_names(source: Path) -> dict[str, Path]:
    """Every module of the package in `source`, by its dotted import name."""
    modules = {}
    for path in sorted(source.rglob("*.py")):
        parts = list(path.relative_to(source).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join([PACKAGE, *parts])] = path
    return modules


def imported(module: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The package's modules that `module` imports, wherever the import statement stands."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # `from a.b import c` imports the module a.b.c when there is one, else a name of a.b.
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        yield from (name for name in names if name in known and name != module)


def import_graph(source: Path) -> dict[str, set[str]]:
    known = module_names(source)
    return {module: set(imported(module, path, known)) for module, path in known.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import loops of `graph` (each as the modules along it, first repeated last)."""
    found: list[list[str]] = []
    state: dict[str, str] = {}  # "open" while on the current path, "done" after

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return found


def layer_of(module: str) -> int:
    """The rank of the layer `module` belongs to; the package's own `__init__` is the ground."""
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 else 0


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return [
        f"{module} -> {target}"
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]


def test_every_module_of_app_belongs_to_a_layer() -> None:
    strays = [
        module
        for module in import_graph(ROOT / "app")
        if "." in module and module.split(".")[1] not in LAYERS
    ]
    assert strays == [], "put it in a layer's folder (or add the layer to ARCHITECTURE.md)"


def test_app_has_no_import_circles() -> None:
    assert circles(import_graph(ROOT / "app")) == []


def test_no_layer_imports_a_layer_above_it() -> None:
    assert upward_imports(import_graph(ROOT / "app")) == []


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_circle_through_a_function_local_import_is_found(tmp_path: Path) -> None:
    source = write(
        tmp_path,
        {
            "__init__.py": "",
            "store/__init__.py": "",
            "store/a.py": "from uforge_mock.store.b import thing\n",
            "store/b.py": "def thing():\n    from uforge_mock.store import a\n",
        },
    )
    assert circles(import_graph(source)) == [
        ["uforge_mock.store.a", "uforge_mock.store.b", "uforge_mock.store.a"]
    ]


def test_a_circle_through_a_type_checking_import_is_found(tmp_path: Path) -> None:
    source = write(
        tmp_path,
        {
            "__init__.py": "",
            "wire/__init__.py": "",
            "wire/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from uforge_mock.wire.b import B\n",
            "wire/b.py": "from . import a\n",
        },
    )
    assert len(circles(import_graph(source))) == 1


@pytest.mark.parametrize(
    ("statement", "target"),
    [
        ("from uforge_mock.api.deps import parse_id", "uforge_mock.api.deps"),
        ("from uforge_mock.api import deps", "uforge_mock.api.deps"),
        ("import uforge_mock.api.deps", "uforge_mock.api.deps"),
        ("from ..api import deps", "uforge_mock.api.deps"),
    ],
)
def test_a_lower_layer_importing_a_higher_one_is_found(
    tmp_path: Path, statement: str, target: str
) -> None:
    source = write(
        tmp_path,
        {
            "__init__.py": "",
            "api/__init__.py": "",
            "api/deps.py": "",
            "store/__init__.py": "",
            "store/queries.py": f"def read():\n    {statement}\n",
        },
    )
    assert upward_imports(import_graph(source)) == [f"uforge_mock.store.queries -> {target}"]
