#!/usr/bin/env python3
"""Fails when the modules of a crate import each other in a circle.

For each crate's `src/`, every top-level module (`src/NAME.rs` or `src/NAME/`) is a node; an edge
A -> B is a `crate::B` path in A's code outside its `#[cfg(test)]` modules (and outside the
crate's `src/tests/`). A path to an item that `lib.rs` re-exports (`crate::Config`) counts as an
edge to the module the item comes from. Any strongly connected component of more than one module
is a circle: printed with the lines that make it, and the exit code is 1.

    usage: check-import-cycles.py CRATE_DIR...
"""

import pathlib
import re
import sys

PATH = re.compile(r"\bcrate::(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)")
REEXPORT = re.compile(r"^\s*pub(?:\([a-z]+\))?\s+use\s+([a-z_][a-z0-9_]*)::(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)", re.M)
MOD = re.compile(r"^\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+([a-z_][a-z0-9_]*)\s*;", re.M)


def code_lines(path):
    """The file's lines, without its `#[cfg(test)]` modules and comments."""
    lines = path.read_text().splitlines()
    out, skip_depth, pending_test = [], None, False
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if skip_depth is not None:
            skip_depth += line.count("{") - line.count("}")
            if skip_depth <= 0:
                skip_depth = None
            continue
        if stripped.startswith("#[cfg(test)]"):
            pending_test = True
            continue
        if pending_test and re.match(r"(pub(\([a-z]+\))?\s+)?mod\s+\w+\s*\{", stripped):
            skip_depth = line.count("{") - line.count("}")
            if skip_depth <= 0:
                skip_depth = None
            pending_test = False
            continue
        pending_test = False
        if stripped.startswith("//"):
            continue
        out.append((number, line.split("//")[0]))
    return out


def names(group):
    if group.startswith("{"):
        return [n.strip().split(" as ")[0].split("::")[0] for n in group[1:-1].split(",") if n.strip()]
    return [group]


def crate_graph(crate):
    src = crate / "src"
    root = src / "lib.rs" if (src / "lib.rs").exists() else src / "main.rs"
    root_text = root.read_text()
    modules = set(MOD.findall(root_text)) - {"tests"}
    origin = {}
    for module, group in REEXPORT.findall(root_text):
        for name in names(group):
            origin[name] = module
    edges = {m: {} for m in modules}
    for module in modules:
        files = [src / f"{module}.rs"] + sorted((src / module).rglob("*.rs")) if (src / module).is_dir() else [src / f"{module}.rs"]
        for file in files:
            if not file.exists() or "tests" in file.relative_to(src).parts[:-1]:
                continue
            for number, line in code_lines(file):
                for group in PATH.findall(line):
                    for name in names(group):
                        target = name if name in modules else origin.get(name)
                        if target in modules and target != module:
                            edges[module].setdefault(target, f"{file.relative_to(crate.parent)}:{number}")
    return edges


def circles(edges):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def main(crates):
    failed = False
    for crate in map(pathlib.Path, crates):
        edges = crate_graph(crate)
        found = circles(edges)
        if not found:
            print(f"{crate.name}: {len(edges)} modules, no circle")
        for component in found:
            failed = True
            print(f"{crate.name}: modules {', '.join(component)} import each other in a circle:")
            for a in component:
                for b, where in sorted(edges[a].items()):
                    if b in component:
                        print(f"  {a} -> {b}  ({where})")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
