"""The suppression solver as it was before the speed-up (commit 1fffd73), kept frozen as the
reference the new one is compared with (tests/services/test_disclosure_speed.py): one pair of
linear programs per protected cell over the whole table, no parts, no cache. Not used by the
application."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog

THRESHOLD = 5
SUPPRESSED = "<5"  # a count of 1-4
WITHHELD = ">=5"  # a count of 5 or more withheld so that a "<5" cannot be worked out
MASKED = "*"  # not shown at all: the last resort where withholding more cannot help

Shown = int | str | None


@dataclass
class Table:
    """Counts and the sums that tie them: `relations` are ``(total, parts)`` with
    ``total == sum(parts)``; `hidden` cells are never published (see the module docstring)."""

    cells: dict[Hashable, int | None] = field(default_factory=dict)
    relations: list[tuple[Hashable, tuple[Hashable, ...]]] = field(default_factory=list)
    hidden: set[Hashable] = field(default_factory=set)
    # each cell's relations, indexed once per number of relations (`_relations_of`)
    _related: tuple[int, dict[Hashable, list[int]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def add(self, key: Hashable, value: int | None, *, hidden: bool = False) -> None:
        self.cells[key] = value
        if hidden:
            self.hidden.add(key)

    def relate(self, total: Hashable, parts: Iterable[Hashable]) -> None:
        parts = tuple(parts)
        if parts:
            self.relations.append((total, parts))


def is_small(n: int | None) -> bool:
    return n is not None and 0 < n < THRESHOLD


def shown(n: int | None) -> Shown:
    """One count on its own, with no relation to any other (primary suppression only)."""
    return SUPPRESSED if is_small(n) else n


def suppress(table: Table) -> dict[Hashable, Shown]:
    """Each published cell as shown to the public: the count, ``"<5"``, ``">=5"`` or None."""
    for total, parts in table.relations:
        for k in (total, *parts):
            if k not in table.cells:
                raise KeyError(f"relation names an unknown cell {k!r}")
    state = {k: ("small" if is_small(v) else "shown") for k, v in table.cells.items()}
    for k in table.hidden:
        state[k] = "hidden"
    protected = [k for k, v in table.cells.items() if is_small(v)]
    related: dict[Hashable, list[int]] = {}
    for i, (total, parts) in enumerate(table.relations):
        for k in (total, *parts):
            related.setdefault(k, []).append(i)
    _withhold_lone_smalls(table, state)
    to_check = [k for k in protected if k in related]
    while True:
        disclosed = [k for k in to_check if _pinned(table, state, k)]
        before = dict(state)
        for k in disclosed:
            if not _pinned(table, state, k):  # an earlier withholding this round protects it
                continue
            extra = _complement(table, state, related, k)
            if extra is not None:
                state[extra] = "withheld"
            else:  # every cell around it is withheld already (a "<5" total of four "<5"
                # parts): say nothing of the small ones, not even that they are small
                for c in _component(table, state, k)[1]:
                    if state[c] == "small":
                        state[c] = "masked"
        changed = {c for c, s in state.items() if s != before[c]}
        if not changed:  # nothing disclosed, or nothing more that could be done
            break
        # a cell found safe stays safe until a cell of its component changes: only those are
        # solved again (the same answer, several times faster on a city's data)
        to_check = [
            k
            for k in protected
            if k in related and not changed.isdisjoint(_component(table, state, k)[1])
        ]
    out: dict[Hashable, Shown] = {}
    for k, v in table.cells.items():
        s = state[k]
        if s != "hidden":
            out[k] = {"small": SUPPRESSED, "withheld": WITHHELD, "masked": MASKED}.get(s, v)
    return out


def _withhold_lone_smalls(table: Table, state: dict) -> None:
    """The commonest disclosure found without the solver: a relation whose only unknown cell is
    a small one gives it away (a total minus its parts), so its smallest shown count of 5 or
    more is withheld, until no relation is left so. Many fewer rounds of linear programs
    follow (the solver still checks every protected count afterwards)."""
    changed = True
    while changed:
        changed = False
        for total, parts in table.relations:
            cells = (total, *parts)
            unknown = [c for c in cells if state[c] != "shown"]
            if len(unknown) != 1 or state[unknown[0]] != "small":
                continue
            shown = [
                (table.cells[c], repr(c), c)
                for c in cells
                if state[c] == "shown" and (table.cells[c] or 0) >= THRESHOLD
            ]
            if shown:
                state[min(shown)[2]] = "withheld"
                changed = True


def _bounds(table: Table, state: dict, k: Hashable) -> tuple[float, float | None]:
    """What the attacker knows of a cell before solving: its range."""
    v = table.cells[k]
    s = state[k]
    if s == "small":
        return 1.0, float(THRESHOLD - 1)
    if s == "withheld":
        return float(THRESHOLD), None
    if s == "masked":
        return 0.0, None
    if s == "hidden":  # a hidden zero is taken as known (the geometry may say it is empty)
        return (0.0, 0.0) if not v else (0.0, None)
    return float(v or 0), float(v or 0)


def _component(table: Table, state: dict, k: Hashable) -> tuple[list[int], list[Hashable]]:
    """The relations and the unknown cells reachable from `k` through unknown cells."""
    # walked from `k` through the cells' own relations (`related`), not by indexing every
    # relation anew per call: that was most of the first public request's time
    related = _relations_of(table)
    seen_rel: set[int] = set()
    cells = {k}
    todo = [k]
    while todo:
        c = todo.pop()
        for i in related.get(c, ()):
            if i in seen_rel:
                continue
            seen_rel.add(i)
            total, parts = table.relations[i]
            for d in (total, *parts):
                if state[d] != "shown" and d not in cells:
                    cells.add(d)
                    todo.append(d)
    return sorted(seen_rel), list(cells)


def _relations_of(table: Table) -> dict[Hashable, list[int]]:
    """Each cell's relations (by index), built once per table and relation count."""
    cached = table._related
    if cached is not None and cached[0] == len(table.relations):
        return cached[1]
    related: dict[Hashable, list[int]] = {}
    for i, (total, parts) in enumerate(table.relations):
        for c in (total, *parts):
            related.setdefault(c, []).append(i)
    table._related = (len(table.relations), related)
    return related


def _pinned(table: Table, state: dict, k: Hashable) -> bool:
    """Whether the published figures leave the protected cell `k` a single integer value."""
    rels, unknown = _component(table, state, k)
    if not rels:
        return False
    index = {c: j for j, c in enumerate(unknown)}
    a = np.zeros((len(rels), len(unknown)))
    b = np.zeros(len(rels))
    for r, i in enumerate(rels):
        total, parts = table.relations[i]
        for c, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
            if c in index:
                a[r, index[c]] += sign
            else:
                b[r] -= sign * _bounds(table, state, c)[0]
    bounds = [_bounds(table, state, c) for c in unknown]
    cost = np.zeros(len(unknown))
    cost[index[k]] = 1.0
    # the true count is one feasible value: one solve that finds another settles it (most
    # cells), so the second is needed only when the first finds none
    hi = linprog(-cost, A_eq=a, b_eq=b, bounds=bounds, method="highs")
    if hi.status != 0:  # unbounded: not pinned; infeasible cannot happen
        return False
    true = table.cells[k] or 0
    if math.floor(-hi.fun + 1e-6) > true:
        return False
    lo = linprog(cost, A_eq=a, b_eq=b, bounds=bounds, method="highs")
    if lo.status != 0:
        return False
    return math.ceil(lo.fun - 1e-6) >= math.floor(-hi.fun + 1e-6)


def _complement(table: Table, state: dict, related: dict, k: Hashable) -> Hashable | None:
    """The smallest shown count of 5 or more in a relation of `k` or of the cells it is tied
    to, so that withholding it costs the public least."""
    _rels, unknown = _component(table, state, k)
    candidates = []
    for c in unknown:
        for i in related.get(c, []):
            total, parts = table.relations[i]
            for d in (total, *parts):
                if state[d] == "shown" and (table.cells[d] or 0) >= THRESHOLD:
                    candidates.append((table.cells[d], repr(d), d))
    return min(candidates)[2] if candidates else None
