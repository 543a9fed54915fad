"""Survey results for the analysis tests, written through the import path."""

from __future__ import annotations

from lagesbild.ingest.writer import write_records


def write_survey(store, rows) -> None:
    """Rows of (year, area, share, n) for the question "Narkotikahandel"."""
    write_records(
        store,
        "survey_results",
        [
            (
                i,
                {
                    "survey": "Trygghetsmätning",
                    "year": y,
                    "area": a,
                    "question": "Narkotikahandel",
                    "share": s,
                    "n": n,
                },
                None,
            )
            for i, (y, a, s, n) in enumerate(rows)
        ],
    )
