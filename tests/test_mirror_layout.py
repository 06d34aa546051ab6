"""The layout of ``newsarchive.mirror``: shared machinery at the top, one folder per site, and
imports that run one way only.

Read from the source with ``ast``, imports inside functions and under ``TYPE_CHECKING``
included: a cycle hidden in a function body is still a cycle, only a later one.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIRROR = ROOT / "newsarchive" / "mirror"
PACKAGE = "newsarchive.mirror"
SITE_FOLDERS = {"moscowtimes", "wordpress"}
REGISTRY = ("newsarchive.mirror.registry", "site_kind")
"""(module, function): the only place where a shared module may import a site folder."""
RENDERERS = ("boilerplate", "templates", "routes")
"""Modules of a site folder that its data model (``site``) must not import."""


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    scope: str
    """``<module>`` or the dotted name of the class/function the import statement is in."""
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(MIRROR.rglob("*.py"))}


def imports_in(source: str, module: str, is_package: bool, known: set[str]) -> list[Import]:
    """Every import of a module of ``known`` that ``source`` makes, wherever it stands."""
    here = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []

    def target_of(name: str) -> str | None:
        while name and name not in known:  # ``import a.b.c``: the deepest known module
            name = name.rpartition(".")[0]
        return name or None

    def visit(node: ast.AST, scope: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            targets: list[str | None] = []
            if isinstance(child, ast.Import):
                targets = [target_of(alias.name) for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    package = here.split(".")[: len(here.split(".")) - child.level + 1]
                    base = ".".join([*package, base] if base else package)
                for alias in child.names:
                    submodule = f"{base}.{alias.name}"  # ``from package import submodule``
                    targets.append(submodule if submodule in known else target_of(base))
            for target in targets:
                if target is not None and target != module:
                    found.append(
                        Import(module, target, ".".join(scope) or "<module>", child.lineno)
                    )
            inner = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            visit(child, [*scope, child.name] if inner else scope)

    visit(ast.parse(source), [])
    return found


def all_imports() -> list[Import]:
    return [
        found
        for name, path in MODULES.items()
        for found in imports_in(
            path.read_text(encoding="utf-8"), name, path.name == "__init__.py", set(MODULES)
        )
    ]


def folder_of(module: str) -> str | None:
    """The site folder a module belongs to; None for a shared module."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and (MIRROR / parts[2]).is_dir() else None


def find_cycle(edges: list[Import]) -> list[Import] | None:
    """One import cycle (its edges, in order), or None."""
    graph: dict[str, list[Import]] = {}
    for edge in edges:
        graph.setdefault(edge.source, []).append(edge)
    state: dict[str, str] = {}
    path: list[Import] = []

    def walk(node: str) -> list[Import] | None:
        state[node] = "open"
        for edge in graph.get(node, []):
            if state.get(edge.target) == "open":  # back to a module on the path: a cycle
                start = [e.source for e in path].index(edge.target)
                return [*path[start:], edge]
            if edge.target not in state:
                path.append(edge)
                if cycle := walk(edge.target):
                    return cycle
                path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := walk(node)):
            return cycle
    return None


def show(edges: list[Import]) -> str:
    return "\n".join(f"  {e.source} -> {e.target} (line {e.line}, in {e.scope})" for e in edges)


# --- the reader itself ------------------------------------------------------------------------


def test_the_reader_sees_imports_in_functions_and_under_type_checking():
    source = (
        "from typing import TYPE_CHECKING\n"
        "from a import b\n"
        "from a.b import X\n"
        "if TYPE_CHECKING:\n"
        "    from a.c import Y\n"
        "class K:\n"
        "    def f(self):\n"
        "        import a.d.e\n"
        "        from . import c\n"
    )
    found = imports_in(source, "a.b", False, {"a", "a.b", "a.c", "a.d"})
    assert {(i.target, i.scope) for i in found} == {
        ("a.c", "<module>"),
        ("a.d", "K.f"),
        ("a.c", "K.f"),
    }  # ``from a import b`` in a.b and ``from a.b import X`` are a.b itself
    assert find_cycle([Import("x", "y", "", 1), Import("y", "x", "f", 2)]) is not None
    assert find_cycle([Import("x", "y", "", 1), Import("x", "z", "", 2)]) is None


# --- the layout -------------------------------------------------------------------------------


def test_shared_modules_at_the_top_and_one_folder_per_site():
    folders = {p.name for p in MIRROR.iterdir() if (p / "__init__.py").is_file()}
    assert folders == SITE_FOLDERS
    shared = {name for name in MODULES if folder_of(name) is None}
    for module in ("server", "faults", "pages", "site", "text", "registry", "__main__"):
        assert f"{PACKAGE}.{module}" in shared
    for folder in SITE_FOLDERS:
        for module in ("site", "text", *RENDERERS):
            assert f"{PACKAGE}.{folder}.{module}" in MODULES


def test_no_import_cycle_among_mirror_modules():
    cycle = find_cycle(all_imports())
    assert cycle is None, "import cycle:\n" + show(cycle or [])


def test_shared_modules_import_no_site_folder_but_in_the_registry():
    reaching = [
        i for i in all_imports() if folder_of(i.source) is None and folder_of(i.target) is not None
    ]
    stray = [i for i in reaching if (i.source, i.scope) != REGISTRY]
    assert not stray, "shared modules importing a site folder:\n" + show(stray)
    assert {folder_of(i.target) for i in reaching} == SITE_FOLDERS  # the registry knows all


def test_site_folders_do_not_import_each_other():
    crossing = [
        i
        for i in all_imports()
        if None not in (folder_of(i.source), folder_of(i.target))
        and folder_of(i.source) != folder_of(i.target)
    ]
    assert not crossing, "one site folder importing another:\n" + show(crossing)


def test_a_site_data_model_imports_none_of_its_renderers():
    for folder in SITE_FOLDERS:
        model = f"{PACKAGE}.{folder}.site"
        banned = {f"{PACKAGE}.{folder}", *(f"{PACKAGE}.{folder}.{m}" for m in RENDERERS)}
        wrong = [i for i in all_imports() if i.source == model and i.target in banned]
        assert not wrong, f"{model} imports what renders it:\n" + show(wrong)
