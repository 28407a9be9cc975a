#!/usr/bin/env python3
"""Fails if a crate's modules import each other in a cycle, or a layer uses what it must not.

For every crate of the workspace, each `.rs` file under `src/` is a module; every path
written `crate::a::b` or `super::a` in it (in `use` lines or inline) is an edge to the
module that path names. A cycle (two or more modules that reach each other) means neither
can be read without the other; dependencies must point one way (docs/architecture.md).
Test modules (`#[cfg(test)] mod tests { ... }` at the end of a file) are left out: they
look at the module from outside.

A facade (a module that re-exports its children's items, `pub(crate) use child::{...}`)
counts as importing those children: a path through `crate::store` reaches every file the
facade speaks for, so a cycle cannot hide behind it.

Layers (docs/architecture.md): in each server, `model/` (the entities and their pure
rules) uses neither `protocol/` nor `store/` nor the HTTP layer; `store/` (the SQL) never
uses `protocol/` or the HTTP layer; `protocol/` (the OAuth decisions) never uses the HTTP
layer (`routes/`, `pages`), the web framework, or a module that turns values into HTTP
responses (`IntoResponse`).
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
WEB = ("axum", "axum_extra", "tower_http")
# Crate -> layer (a module prefix) -> (modules it must not import, crates it must not use).
LAYERS = {
    "auth-server": {
        "model": (("protocol", "store", "routes", "pages", "state", "startup"), WEB + ("sqlx",)),
        "store": (("protocol", "routes", "pages", "state", "startup"), WEB),
        "protocol": (("routes", "pages", "startup"), WEB),
    },
}
# The layers that may not import a module implementing `IntoResponse`.
NO_RESPONSES = {"auth-server": ("model", "store", "protocol")}
REEXPORT = re.compile(r"^\s*pub(?:\([^)]*\))?\s+use\s+(?:self::)?([A-Za-z_][A-Za-z0-9_]*)::", re.M)
PATH = re.compile(r"\b(crate|super)::(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)")


def module_of(src: pathlib.Path, file: pathlib.Path) -> str:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("lib", "main", "mod"):
        parts = parts[:-1]
    return "::".join(parts)


def targets(module: str, kind: str, rest: str, modules: set) -> set:
    base = module.split("::") if module else []
    if kind == "super":
        base = base[:-1]
        prefix = base
    else:
        prefix = []
    paths = []
    if rest.startswith("{"):
        for item in rest.strip("{}").split(","):
            item = item.strip().split(" as ")[0]
            if item and item != "self":
                paths.append(item)
        if not paths:
            return set()
    else:
        paths.append(rest)
    found = set()
    for path in paths:
        segments = prefix + [s for s in path.split("::") if s and s != "self"]
        # The longest prefix of the path that is a module.
        for end in range(len(segments), 0, -1):
            candidate = "::".join(segments[:end])
            if candidate in modules:
                found.add(candidate)
                break
    found.discard(module)
    return found


def code_of(file: pathlib.Path) -> str:
    """The file without its trailing test module and without comments."""
    text = re.split(r"\n#\[cfg\(test\)\]\n(?:pub(?:\([^)]*\))? )?mod tests", file.read_text())[0]
    return re.sub(r"//[^\n]*", "", text)


def graph_of(src: pathlib.Path) -> dict:
    """Module -> the modules it imports, a facade's re-exported children included."""
    files = sorted(src.rglob("*.rs"))
    modules = {module_of(src, f) for f in files}
    graph = {}
    for file in files:
        module = module_of(src, file)
        text = code_of(file)
        edges = set()
        for kind, rest in PATH.findall(text):
            edges |= targets(module, kind, rest, modules)
        for child in REEXPORT.findall(text):
            name = f"{module}::{child}" if module else child
            if name in modules:
                edges.add(name)
        edges.discard("")
        edges.discard(module)
        graph[module] = edges
    return graph


def cycles_of(graph: dict) -> list:
    # Tarjan's strongly connected components.
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def in_layer(module: str, layer: str) -> bool:
    return module == layer or module.startswith(layer + "::")


def layer_violations(crate: str, src: pathlib.Path, graph: dict) -> list:
    found = []
    responders = {
        module_of(src, f) for f in src.rglob("*.rs") if re.search(r"\bIntoResponse\b", code_of(f))
    }
    for layer, (modules, crates) in LAYERS.get(crate, {}).items():
        for module in sorted(m for m in graph if in_layer(m, layer)):
            for target in sorted(graph[module]):
                if any(in_layer(target, other) for other in modules):
                    found.append(f"{crate}: {module} imports {target}: {layer}/ must not use {target.split('::')[0]}")
            if layer in NO_RESPONSES.get(crate, ()):
                for target in sorted(graph[module] & responders):
                    found.append(f"{crate}: {module} imports {target}, which makes HTTP responses: {layer}/ stays below the HTTP layer")
            for file in sorted((src / layer.replace("::", "/")).rglob("*.rs")):
                if module_of(src, file) != module:
                    continue
                code = code_of(file)
                for name in crates:
                    if re.search(rf"\b{name}::", code):
                        found.append(f"{file.relative_to(ROOT)} uses {name}: {layer}/ must not")
    return found


def main() -> int:
    failed = False
    for manifest in sorted(ROOT.glob("*/Cargo.toml")):
        src = manifest.parent / "src"
        if not src.is_dir():
            continue
        crate = manifest.parent.name
        graph = graph_of(src)
        for component in cycles_of(graph):
            failed = True
            print(f"{crate}: modules import each other: {', '.join(component)}")
        for violation in layer_violations(crate, src, graph):
            failed = True
            print(violation)
    if failed:
        print("Move what both sides need below both (docs/architecture.md), so imports point one way.")
        return 1
    print("no import cycle in any crate, and every layer imports only those below it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
