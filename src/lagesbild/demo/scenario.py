"""The demo scenario of the seed report: Norra innerstaden, Stockholm, 2019-2024.

A deterministic generator (same seed, same data; fixed reference dates, no clock in the data)
for the district's priority places Klara, with the open drug scene *Sergels torg/Klara*, and
Odenplan/Observatorielunden; see `geography`, `records`, `context` and `meetings` for what each
layer holds. Everything but briefings, action items, decisions, goals and users goes through
`ingest.writer.write_records`, the path a file import takes, so loading the demo again stores
nothing new: every record is a duplicate.

Demo users, all with the password ``demo`` (for a demo store only):

========== ============== ==========================================
username   role           organisation
========== ============== ==========================================
admin      admin          the district administration (store default)
samordnare coordinator    the district administration
analytiker analyst        Polisen, lokalpolisområde Norrmalm
falt       field_reporter Stadens mobila ordningsvakter
lasare     viewer         City i Samverkan
========== ============== ==========================================

Key figures (any seed): the Klara scene's extent is 14.1 ha in the 2022 round and 6.6 ha in
2023; inside them, drug offences fall from 620 (2022) to 430 (2023) and violent crimes from 268
to 232, while violent crimes per hectare rise from 19.0 to 35.3 (x 1.86).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lagesbild.demo import context, geography, meetings, records
from lagesbild.demo.geography import Triple
from lagesbild.ingest.writer import WriteSummary, write_records
from lagesbild.services import rounds
from lagesbild.store.engine import Store

DEFAULT_SEED = 20240308  # the date the seed report was signed

# The canonical layers in load order (parents before what refers to them).
LAYER_ORDER = (
    "organisations",
    "places",
    "extents",
    "streets",
    "cameras",
    "guard_areas",
    "survey_results",
    "activation_events",
    "measurements",
    "crimes",
    "observations",
)


@dataclass(frozen=True)
class Scenario:
    """The generated canonical records per layer (all but the roster, which needs the
    briefings' ids from the store)."""

    seed: int
    layers: dict[str, list[Triple]]

    def records(self, layer: str) -> list[dict]:
        return [rec for _, rec, _ in self.layers[layer]]


def generate(seed: int = DEFAULT_SEED) -> Scenario:
    """The scenario's records; each part draws from its own generator, so that one part's
    volume does not shift another's draws."""

    def rng(part: int) -> np.random.Generator:
        return np.random.default_rng([seed, part])

    layers = {
        "organisations": geography.organisation_records(),
        "places": geography.place_records(),
        "extents": geography.extent_records(),
        "streets": geography.street_records(),
        "cameras": geography.camera_records(),
        "guard_areas": geography.guard_area_records(),
        "survey_results": context.survey_records(),
        "activation_events": context.activation_event_records(rng(1)),
        "measurements": context.measurement_records(rng(2)),
        "crimes": records.crime_records(rng(3)),
        "observations": records.observation_records(rng(4)),
    }
    return Scenario(seed, {name: layers[name] for name in LAYER_ORDER})


ROUND_2024 = 2024  # the seed's "new mapping ... in the first quarter of 2024"


def load_demo(
    store: Store, seed: int = DEFAULT_SEED, console: Console | None = None
) -> list[WriteSummary]:
    """Generate the scenario and store it; returns one summary per layer. Idempotent: a second
    load with the same seed reports every record as a duplicate and changes nothing."""
    scenario = generate(seed)
    total = sum(len(v) for v in scenario.layers.values())
    progress = Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=console is None,
    )
    summaries: list[WriteSummary] = []
    with progress:
        task = progress.add_task("Demo scenario", total=total)
        for layer, triples in scenario.layers.items():
            summaries.append(_write(store, layer, triples, progress, task))
        progress.update(task, description="briefings")
        briefing_summary, briefing_ids = meetings.load_briefings(store, seed)
        summaries.append(briefing_summary)
        roster = meetings.roster_records(seed, briefing_ids)
        progress.update(task, total=total + len(roster))
        summaries.append(_write(store, "roster", roster, progress, task))
        # The 2022 and 2023 rounds are the regional list's (Länsstyrelsen's, public): the
        # district's coordinator may read them, not change them. The seed's next mapping runs
        # in the first quarter of 2024; the district runs it with the police and social
        # services, so the demo opens that round empty: each scene's 2024 extent the
        # coordinator saves (from last round's or drawn anew) is the district's own.
        rounds.open_round(store, ROUND_2024, "Kartläggning 2024 (kvartal 1)")
        progress.update(task, description="follow-up and users")
        summaries += meetings.load_follow_up(store, briefing_ids)
        from lagesbild.briefing.service import keep_locked_pictures

        keep_locked_pictures(store)  # the locked briefings' history, as locking keeps it
        progress.update(task, description="done")
    return summaries


def _write(
    store: Store, layer: str, triples: list[Triple], progress: Progress, task
) -> WriteSummary:
    progress.update(task, description=layer)
    done = 0

    def advance(read: int) -> None:
        nonlocal done
        progress.advance(task, read - done)
        done = read

    on_progress: Callable[[int], None] = advance
    summary = write_records(store, layer, triples, strict=True, on_progress=on_progress)
    advance(summary.read)
    return summary
