#!/usr/bin/env python3
"""Fails if a crate's modules import each other in a cycle, or a layer uses what it must not.

For every crate of the workspace, each `.rs` file under `src/` is a module; every path
written `crate::a::b` or `super::a` in it (in `use` lines or inline) is an edge to the
module that path names. A cycle (two or more modules that reach each other) means neither
can be read without the other; dependencies must point one way (README, "Architecture").
Test modules (`#[cfg(test)] mod tests { ... }` at the end of a file) are left out: they
look at the module from outside.

Layers: the authorization server's protocol layer (`auth-server/src/protocol/`) must not
use the web framework; the HTTP layer (`routes/`) calls it, never the other way round.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Folder -> crates its code must not use.
FORBIDDEN = {"auth-server/src/protocol": ("axum", "axum_extra", "tower_http")}
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


def cycles_of(src: pathlib.Path) -> list:
    files = sorted(src.rglob("*.rs"))
    modules = {module_of(src, f) for f in files}
    graph = {}
    for file in files:
        module = module_of(src, file)
        text = file.read_text()
        text = re.split(r"\n#\[cfg\(test\)\]\nmod tests", text)[0]
        text = re.sub(r"//[^\n]*", "", text)
        edges = set()
        for kind, rest in PATH.findall(text):
            edges |= targets(module, kind, rest, modules)
        edges.discard("")
        graph[module] = edges
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


def main() -> int:
    failed = False
    for manifest in sorted(ROOT.glob("*/Cargo.toml")):
        src = manifest.parent / "src"
        if not src.is_dir():
            continue
        for component in cycles_of(src):
            failed = True
            print(f"{manifest.parent.name}: modules import each other: {', '.join(component)}")
    for folder, crates in FORBIDDEN.items():
        for file in sorted((ROOT / folder).rglob("*.rs")):
            code = re.sub(r"//[^\n]*", "", file.read_text())
            for name in crates:
                if re.search(rf"\b{name}::", code):
                    failed = True
                    print(f"{file.relative_to(ROOT)} uses {name}: {folder} is the protocol layer, free of the web framework")
    if failed:
        print("Move what both sides need below both (README, 'Architecture'), so imports point one way.")
        return 1
    print("no import cycle in any crate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
