"""Names are matched case-insensitively over all of Unicode on both backends: SQLite's own
lower() folds A-Z only, so 'östermalmstorg' would not find 'Östermalmstorg'."""

from __future__ import annotations

from shapely.geometry import box

from lagesbild.domain.model import SYSTEM
from lagesbild.ingest.writer import write_records
from lagesbild.services.data import find_place


def test_place_found_by_any_case_of_its_swedish_name(store):
    write_records(
        store,
        "places",
        [
            (
                1,
                {"name": "Östermalmstorg", "kind": "priority_place", "code": "ÖMT"},
                box(18.07, 59.33, 18.08, 59.34),
            )
        ],
    )
    for name in ("Östermalmstorg", "östermalmstorg", "ÖSTERMALMSTORG", "ömt"):
        assert find_place(store, SYSTEM, name).name == "Östermalmstorg"
