"""The package is laid out by its data flow: no import cycles, no private names across packages."""

from __future__ import annotations

import ast
from pathlib import Path

import seqtag

ROOT = Path(seqtag.__file__).parent


def _modules() -> dict[str, Path]:
    mods = {}
    for p in ROOT.rglob("*.py"):
        parts = list(p.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = p
    return mods


def _imports(mods: dict[str, Path]):
    """(importer, imported module, imported names) for every import inside seqtag, at any depth."""
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.startswith("seqtag"):
                    names = [a.name for a in node.names]
                    submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in mods]
                    yield name, target, [n for n in names if f"{target}.{n}" not in mods]
                    for sub in submodules:
                        yield name, sub, []
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("seqtag"):
                        yield name, a.name, []


def _package(module: str, mods: dict[str, Path]) -> str:
    return module if mods[module].name == "__init__.py" else module.rsplit(".", 1)[0]


def test_no_import_cycles():
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for src, dst, _ in _imports(mods):
        if dst in mods and dst != src and dst != "seqtag":  # the root only re-exports lazily
            graph[src].add(dst)
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert cycles == [], f"import cycles: {cycles}"


def test_no_private_name_is_imported_across_packages():
    mods = _modules()
    bad = []
    for src, dst, names in _imports(mods):
        if dst not in mods:
            continue
        # a module may use the private helpers of its own package and of the packages around it
        # (seqtag._numba everywhere, seqtag.align.sphinx._scoring in seqtag.align.sphinx), never
        # those of a sibling package
        home, owner = _package(src, mods), _package(dst, mods)
        allowed = home == owner or home.startswith(owner + ".")
        private_module = any(part.startswith("_") for part in dst.split(".")[1:])
        if private_module and not allowed:
            bad.append(f"{src} imports the private module {dst}")
        for n in names:
            if n.startswith("_") and not n.startswith("__") and not allowed:
                bad.append(f"{src} imports the private name {dst}.{n}")
    assert bad == [], "\n".join(bad)
