"""The package's import graph: no module imports itself back through others (import-linter has
no contract for cycles among all modules), and the layer contracts of pyproject.toml hold (the
same check `lint-imports` makes in CI, here so that `make test` makes it too)."""

from __future__ import annotations

from pathlib import Path

import grimp
from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

# Cycles another branch removes; each entry goes when that branch is merged (the test fails
# once the cycle is gone, so the entry cannot outlive it).
PENDING: set[frozenset[str]] = set()


def import_cycles(graph: grimp.ImportGraph) -> dict[frozenset[str], str]:
    """Each set of modules that import one another in a ring, with one such ring as text.

    For every direct import a -> b, the shortest chain from b back to a (if any) closes a ring."""
    found: dict[frozenset[str], str] = {}
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                ring = (importer, *back)
                found.setdefault(frozenset(ring), " -> ".join(ring))
    return found


def _graph(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported)
    return graph


def test_the_cycle_finder_finds_rings_and_only_rings():
    ring = _graph(("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d"))
    assert list(import_cycles(ring)) == [frozenset({"p.a", "p.b", "p.c"})]
    assert import_cycles(_graph(("p.a", "p.b"), ("p.b", "p.c"), ("p.a", "p.c"))) == {}


def test_no_module_imports_itself_back():
    graph = grimp.build_graph("lagesbild", cache_dir=None)
    cycles = import_cycles(graph)
    new = {ring: text for ring, text in cycles.items() if ring not in PENDING}
    assert new == {}, "import cycles:\n" + "\n".join(new.values())
    gone = PENDING - set(cycles)
    assert not gone, f"these cycles are gone: delete them from PENDING: {gone}"


def test_the_layer_contracts_hold():
    assert lint_imports(str(PYPROJECT), no_cache=True) == 0  # its report is in the output
