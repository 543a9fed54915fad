"""Property-based tests of the importers (Hypothesis): whatever bytes a user hands over, an
import ends either with a summary or with a LagesbildError that names the file; never another
exception (a traceback), and a refused file stores nothing."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lagesbild.errors import LagesbildError
from lagesbild.ingest.service import import_file
from lagesbild.store.schema import crimes, observations

CANONICAL = [
    "id",
    "occurred_at",
    "category",
    "lat",
    "lon",
    "x",
    "y",
    "count",
    "text",
    "organisation",
    "sensitivity",
    "offence_code",
    "reported_at",
    "place_text",
]
VALUES = st.one_of(
    st.sampled_from(
        [
            "2023-05-01 21:30",
            "2023-13-45",
            "",
            "drug_sale",
            "theft",
            "59,3326",
            "18.0649",
            "59.3326",
            "-1e308",
            "nan",
            "inf",
            "restricted",
            "=cmd()",
            "Polisen",
            "0",
            "99999999999999999999",
            "2023-03-26 02:30",
        ]
    ),
    st.text(alphabet=string.printable + "åäöÅÄÖ€\u00a0", max_size=12),
)


@st.composite
def csv_files(draw):
    header = draw(
        st.lists(
            st.one_of(
                st.sampled_from(CANONICAL), st.text(string.ascii_letters, min_size=1, max_size=6)
            ),
            min_size=0,
            max_size=8,
        )
    )
    sep = draw(st.sampled_from([",", ";", "\t"]))
    rows = draw(st.lists(st.lists(VALUES, min_size=0, max_size=len(header) + 2), max_size=6))
    text = sep.join(header) + "\n" + "\n".join(sep.join(r) for r in rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):
        data = draw(st.binary(max_size=64)) + data  # garbage in front
    return data


def _count(store, table) -> int:
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    data=csv_files(),
    layer=st.sampled_from(["crimes", "observations"]),
    suffix=st.sampled_from([".csv", ".txt", ".geojson", ".zip"]),
)
def test_any_file_imports_or_is_refused_cleanly(
    sqlite_store, tmp_path_factory, data, layer, suffix
):
    path = tmp_path_factory.mktemp("fuzz") / f"input{suffix}"
    path.write_bytes(data)
    table = crimes if layer == "crimes" else observations
    before = _count(sqlite_store, table)
    try:
        result = import_file(sqlite_store, layer, path)
    except LagesbildError as exc:
        assert str(exc)  # a message for the user
        assert _count(sqlite_store, table) == before  # nothing stored
        return
    s = result.summary
    assert s.read == s.stored + s.updated + s.duplicates + s.rejected_count
    assert _count(sqlite_store, table) == before + s.stored
