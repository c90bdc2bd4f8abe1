"""The layout's rules, checked on the source: a core that never loads Flask nor imports the web,
the CLI or the dev tools, and no import cycle anywhere (imports inside functions count)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import codecut

PACKAGE = Path(codecut.__file__).parent
#: Modules that may know Flask: the web layer, the CLI, the per-app state, the extension, the
#: standalone app. The dev tools are not core either (the core never imports them).
EDGE = ("codecut.web", "codecut.cli", "codecut.state", "codecut.extension", "codecut.app")
NOT_CORE = (*EDGE, "codecut.devtools")


def module_name(path: Path) -> str:
    parts = ["codecut", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def is_in(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every codecut module ``name`` imports, wherever the statement is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            submodules = {f"{origin}.{alias.name}" for alias in node.names} & known
            found.update(submodules)
            if len(submodules) < len(node.names):  # names defined in ``origin`` itself
                found.add(origin)
    return {target for target in found if target in known and target != name}


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports(name, path, known) for name, path in found.items()}


def test_importing_any_core_module_does_not_load_flask() -> None:
    core = sorted(name for name in modules() if not is_in(name, NOT_CORE) and name != "codecut")
    code = (
        "import importlib, sys\n"
        f"for name in {core!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'flask' or m.startswith('flask.'))\n"
        "assert not loaded, loaded\n"
        "import codecut\n"
        "assert 'flask' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_core_never_imports_the_web_the_cli_or_the_dev_tools() -> None:
    offences = [
        f"{name} -> {target}"
        for name, targets in graph().items()
        if not is_in(name, NOT_CORE) and name != "codecut"
        for target in targets
        if is_in(target, NOT_CORE)
    ]
    assert offences == []


def test_the_package_has_no_import_cycle() -> None:
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert cycles == []
