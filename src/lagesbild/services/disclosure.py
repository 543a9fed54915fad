"""Statistical disclosure control: the one suppression rule for everything the public (no
sign-in) can reach.

`suppress(table)` takes every count an anonymous caller can get at once, with the sums that
tie them together, and decides which to show:

- primary suppression: a count of 1-4 is never sent as a number but as the string ``"<5"``
  (`SUPPRESSED`);
- complementary suppression: where a total and its parts are both shown, or two published
  counts overlap (a place and a place inside it, a 12-month window and its months, a goal's
  category group and its categories), more counts are withheld until no suppressed count can be
  worked out from the rest. A count withheld for that reason is 5 or more and is sent as the
  string ``">=5"`` (`WITHHELD`): the rule is public, so saying so gives nothing away; where
  nothing is left to withhold (a "<5" total of four "<5" parts pins them all), the small
  counts are sent as ``"*"`` (`MASKED`, not even "small");
- a zero stays ``0`` (the layer has data for the period and nothing happened), and a period
  without data stays ``None`` (JSON ``null``, "no data").

How "cannot be worked out" is checked: the published cells are the attacker's knowledge (a
shown count exactly, ``"<5"`` as 1..4, ``">=5"`` as 5 or more), each relation is a linear
equation ``total = sum(parts)``, and `hidden` cells are counts never published whose value a
difference could give away (the records of a place outside a smaller place within it). Each
protected count (a suppressed 1-4, or a hidden 1-4) is minimised and maximised over those
equations by linear programming; if the integer range left is a single value it is disclosed,
and the smallest shown count of 5 or more in one of its relations is withheld, until none is.
This covers every differencing attack made of sums and differences of the published figures
(total minus parts, overlapping areas, overlapping windows), in any combination.

Derived figures (ratios, targets, trend statistics, rates, intervals, p-values) computed from a
suppressed count are not sent: callers set them to ``None`` and say ``"suppressed": true``.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

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


def is_small(n: object) -> bool:
    """A count (or a mean of counts) of 1-4; anything else (None, a mark already) is not."""
    return isinstance(n, Real) and not isinstance(n, bool) and 0 < n < THRESHOLD


def shown(n: Any) -> Any:
    """One count, or a mean of counts, on its own, with no relation to any other (primary
    suppression only); what is not a number (None, a mark already) passes as it is."""
    return SUPPRESSED if is_small(n) else n


def suppress(table: Table) -> dict[Hashable, Shown]:
    """Each published cell as shown to the public: the count, ``"<5"``, ``">=5"`` or None.

    The table is split into its independent parts (cells tied by no chain of relations: on the
    public table, one year of one layer); each part is decided on its own, which gives the same
    answer as deciding the whole (every step of the rule looks only at a cell's relations), and
    a part decided before with the same cells, values and relations is not solved again."""
    for total, parts in table.relations:
        for k in (total, *parts):
            if k not in table.cells:
                raise KeyError(f"relation names an unknown cell {k!r}")
    decided: dict[Hashable, Shown] = {}
    for part in _independent_parts(table):
        key = (
            tuple((k, part.cells[k], k in part.hidden) for k in part.cells),
            tuple(part.relations),
        )
        with _SOLVED_LOCK:
            hit = _SOLVED.get(key)
            if hit is not None:
                _SOLVED.move_to_end(key)
        if hit is None:
            hit = _suppress_part(part)
            with _SOLVED_LOCK:
                _SOLVED[key] = hit
                while len(_SOLVED) > SOLVED_KEPT:
                    _SOLVED.popitem(last=False)
        decided.update(hit)
    return {k: decided[k] for k in table.cells if k not in table.hidden}


# the parts decided lately, by their content (`suppress`): after a write only the parts whose
# counts changed are solved again
SOLVED_KEPT = 1024
_SOLVED: OrderedDict[tuple, dict[Hashable, Shown]] = OrderedDict()
_SOLVED_LOCK = threading.Lock()


def _independent_parts(table: Table) -> list[Table]:
    """The table as tables that share no relation, each keeping the cells' and relations'
    order (the rule's tie-breaks depend on it)."""
    parent: dict[Hashable, Hashable] = {k: k for k in table.cells}

    def root(k: Hashable) -> Hashable:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for total, parts in table.relations:
        r = root(total)
        for p in parts:
            q = root(p)
            if q != r:
                parent[q] = r
    out: dict[Hashable, Table] = {}
    for k, v in table.cells.items():
        out.setdefault(root(k), Table()).add(k, v, hidden=k in table.hidden)
    for total, parts in table.relations:
        out[root(total)].relations.append((total, parts))
    return list(out.values())


def _suppress_part(table: Table) -> dict[Hashable, Shown]:
    """The rule on one independent part (`suppress`)."""
    state = {k: ("small" if is_small(v) else "shown") for k, v in table.cells.items()}
    for k in table.hidden:
        state[k] = "hidden"
    protected = [k for k, v in table.cells.items() if is_small(v)]
    related = _relations_of(table)
    _withhold_lone_smalls(table, state)
    to_check = [k for k in protected if k in related]
    while True:
        disclosed = _pinned_cells(table, state, to_check)
        before = dict(state)
        for k in disclosed:
            # an earlier withholding this round may protect it: asked again only if its
            # component changed since
            moved = {c for c, s in state.items() if s != before[c]}
            if moved and not moved.isdisjoint(_component(table, state, k)[1]):
                if not _pinned(table, state, k):
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
    return bool(_pinned_cells(table, state, [k]))


def _pinned_cells(table: Table, state: dict, cells: list[Hashable]) -> list[Hashable]:
    """Those of the protected `cells` that the published figures leave a single integer value
    (in the order given). Cells of one component share one system of equations, built once.

    Exact, as one minimisation and one maximisation per cell would be: a cell is safe when its
    range over the equations (the linear relaxation) holds two integers. The true counts are
    one solution, so any solution with the cell one or more away from its count settles it;
    each linear program's solution is used to settle every cell of the component it can, so
    most cells need none of their own. A component of one equation (a total and its parts,
    nothing else tied to them) needs no solver: its ranges are sums of the bounds."""
    todo = [k for k in cells if k in _relations_of(table)]
    seen: set[Hashable] = set()
    pinned: set[Hashable] = set()
    for k in todo:
        if k in seen:
            continue
        rels, unknown = _component(table, state, k)
        seen.update(unknown)
        members = set(unknown)
        targets = [c for c in todo if c in members]
        pinned.update(_pinned_in(table, state, rels, unknown, targets))
    return [k for k in cells if k in pinned]


def _system(table: Table, state: dict, rels: list[int], unknown: list[Hashable]):
    """The equations ``a @ x == b`` of a component over its unknown cells, and their bounds."""
    index = {c: j for j, c in enumerate(unknown)}
    a = np.zeros((len(rels), len(unknown)))
    b = np.zeros(len(rels))
    for r, i in enumerate(rels):
        total, parts = table.relations[i]
        for c, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
            j = index.get(c)
            if j is not None:
                a[r, j] += sign
            else:
                b[r] -= sign * _bounds(table, state, c)[0]
    bounds = [_bounds(table, state, c) for c in unknown]
    return index, a, b, bounds


def _single_pinned(a: np.ndarray, b: float, bounds: list, j: int) -> bool:
    """Closed form of one equation ``sum(a * x) == b`` with each coefficient +-1: the range of
    ``x[j]`` is what the others' bounds leave of `b` (the same as its linear programs)."""
    lo_rest, hi_rest = 0.0, 0.0
    for i, (coef, (lo, hi)) in enumerate(zip(a, bounds, strict=True)):
        if i == j or coef == 0:
            continue
        ends = (coef * lo, coef * hi if hi is not None else coef * math.inf)
        lo_rest += min(ends)
        hi_rest += max(ends)
    own_lo, own_hi = bounds[j]
    own_hi = math.inf if own_hi is None else own_hi
    lo = max(own_lo, (b - hi_rest) / a[j]) if a[j] > 0 else max(own_lo, (b - lo_rest) / a[j])
    hi = min(own_hi, (b - lo_rest) / a[j]) if a[j] > 0 else min(own_hi, (b - hi_rest) / a[j])
    if math.isinf(hi):
        return False
    return math.ceil(lo - 1e-6) >= math.floor(hi + 1e-6)


def _pinned_in(
    table: Table, state: dict, rels: list[int], unknown: list[Hashable], targets: list
) -> set[Hashable]:
    if not rels:
        return set()
    index, a, b, bounds = _system(table, state, rels, unknown)
    if len(rels) == 1 and set(np.unique(a[0])) <= {-1.0, 0.0, 1.0}:
        return {
            k for k in targets if a[0, index[k]] and _single_pinned(a[0], b[0], bounds, index[k])
        }
    truth = {k: table.cells[k] or 0 for k in targets}
    open_ = set(targets)  # neither settled safe nor found pinned yet

    def settle(x: np.ndarray) -> None:
        for c in list(open_):
            if abs(x[index[c]] - truth[c]) >= 1 - 1e-6:
                open_.discard(c)

    def solve(cost: np.ndarray):
        res = linprog(cost, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        if res.status == 0:
            settle(res.x)
        return res

    # two sweeps over all targets at once first: most cells move in one or the other
    cost = np.zeros(len(unknown))
    for k in targets:
        cost[index[k]] = 1.0
    for sign in (-1.0, 1.0):
        if len(open_) > 1:  # for one cell, its own two programs below are the sweeps
            solve(sign * cost)
    pinned = set()
    for k in targets:
        if k not in open_:
            continue
        cost = np.zeros(len(unknown))
        cost[index[k]] = 1.0
        hi = solve(-cost)
        if hi.status != 0:  # unbounded: not pinned; infeasible cannot happen
            open_.discard(k)
            continue
        if k not in open_:
            continue
        lo = solve(cost)
        if lo.status != 0:
            open_.discard(k)
            continue
        if k in open_ and math.ceil(lo.fun - 1e-6) >= math.floor(-hi.fun + 1e-6):
            pinned.add(k)
        open_.discard(k)
    return pinned


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
