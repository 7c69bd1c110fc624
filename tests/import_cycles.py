"""Import cycles among the project's modules (bot, handlers, scheduler, storage).

Every import counts: at module level, inside functions, and under `if TYPE_CHECKING:` (a
type-only cycle still ties two modules together). The graph comes from grimp; cycles are
its strongly connected components. `make lint` runs this module (`python -m
tests.import_cycles`): it prints each cycle with the import lines that close it and exits
with 1 when there is any.
"""

from __future__ import annotations

import sys

import grimp

PACKAGES = ("bot", "handlers", "scheduler", "storage")


def project_graph() -> grimp.ImportGraph:
    """The import graph of PACKAGES, TYPE_CHECKING imports included (nothing cached on disk)."""
    return grimp.build_graph(*PACKAGES, exclude_type_checking_imports=False, cache_dir=None)


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Groups of modules that import each other directly or through others (strongly
    connected components of two or more modules), each sorted, in name order."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in edges:  # Tarjan's algorithm, iterative (deep chains need no recursion limit)
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges.get(child, []))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return sorted(found)


def describe(graph: grimp.ImportGraph, group: list[str]) -> list[str]:
    """The imports inside one cycle, one line each: importer:line → imported: the line."""
    members = set(group)
    lines = []
    for importer in group:
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
            for d in graph.get_import_details(importer=importer, imported=imported):
                lines.append(f"  {importer}:{d['line_number']} → {imported}: {d['line_contents']}")
    return lines


def main() -> int:
    graph = project_graph()
    found = cycles(graph)
    for group in found:
        print(f"import cycle among {len(group)} modules: {', '.join(group)}")
        print("\n".join(describe(graph, group)))
    if found:
        print(
            f"{len(found)} import cycle(s): move the shared piece to where it belongs "
            "(a narrow interface, a leaf module), never hide it in TYPE_CHECKING."
        )
        return 1
    print(f"no import cycles among {len(graph.modules)} modules of {', '.join(PACKAGES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
