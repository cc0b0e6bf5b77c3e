#!/usr/bin/env python3
"""Import circles between the modules of each crate (issue 15: there must be none).

A module is a file under src/ (`a.rs` or `a/mod.rs`, with `a/b.rs` as `a::b`). An edge
a -> b is any `crate::b` path (or `super::b` resolved) written in a's code outside its unit
tests (`#[cfg(test)] mod ...` to the end of the file). Prints each circle and exits 1 when
there is one.

usage: scripts/module-cycles.py [CRATE_DIR ...]   (default: crates/*)
"""
import pathlib
import re
import sys


def modules(src):
    out = {}
    for f in sorted(src.rglob("*.rs")):
        rel = f.relative_to(src).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "mod":
            parts = parts[:-1]
        if parts in (["lib"], ["main"]):
            continue
        out["::".join(parts)] = f
    return out


def code_of(f):
    text = f.read_text()
    m = re.search(r"^#\[cfg\(test\)\]\s*\n\s*(pub(\(crate\))?\s+)?mod\s+\w+\s*\{", text, re.M)
    if m:
        text = text[: m.start()]
    # Drop comments and strings, roughly.
    text = re.sub(r"//[^\n]*", "", text)
    return text


def edges(mods):
    names = set(mods)
    graph = {m: set() for m in mods}
    for m, f in mods.items():
        text = code_of(f)
        refs = set()
        # `crate::a::b`, and `use crate::{a, b::c}` groups.
        for g in re.finditer(r"crate::\{([^}]*)\}", text):
            for item in g.group(1).split(","):
                path = [p for p in item.strip().split("::") if p]
                if path:
                    refs.add(tuple(path))
        for g in re.finditer(r"crate::((?:[a-z_][a-z0-9_]*::)*[A-Za-z_][A-Za-z0-9_]*)", text):
            refs.add(tuple(g.group(1).split("::")))
        parent = m.split("::")[:-1]
        for g in re.finditer(r"\bsuper::((?:[a-z_][a-z0-9_]*::)*[A-Za-z_][A-Za-z0-9_]*)", text):
            refs.add(tuple(parent + g.group(1).split("::")))
        for path in refs:
            # The longest module prefix of the path.
            target = None
            for i in range(len(path), 0, -1):
                cand = "::".join(path[:i])
                if cand in names:
                    target = cand
                    break
            if target and target != m and not m.startswith(target + "::") and not target.startswith(m + "::"):
                graph[m].add(target)
    return graph


def sccs(graph):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
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
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    crates = [pathlib.Path(a) for a in sys.argv[1:]] or sorted(pathlib.Path("crates").glob("*"))
    bad = 0
    for c in crates:
        src = c / "src"
        if not src.is_dir():
            continue
        # Top-level modules only: a circle inside one module's own folder is that module's
        # business, but flatten to the first level so that a -> b::c counts as a -> b.
        mods = modules(src)
        graph = edges(mods)
        top = {}
        for a, bs in graph.items():
            ta = a.split("::")[0]
            top.setdefault(ta, set())
            for b in bs:
                tb = b.split("::")[0]
                if tb != ta:
                    top[ta].add(tb)
        for comp in sccs(top):
            bad += 1
            print(f"{c.name}: import circle: {' <-> '.join(comp)}")
            for a in comp:
                for b in sorted(top[a] & set(comp)):
                    print(f"    {a} -> {b}")
    if bad:
        return 1
    print("no import circles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
