"""The one visibility rule, on both backends: public sees public; a signed-in user sees public
and shared, and restricted only of their own organisation; the terminal sees all."""

from sqlalchemy import select

from lagesbild.domain.model import PUBLIC_VIEWER, SYSTEM, Role, Viewer
from lagesbild.ingest.writer import write_records
from lagesbild.store.access import visible
from lagesbild.store.schema import crimes, organisations


def _setup(store):
    write_records(
        store,
        "organisations",
        [
            (2, {"name": "Polisen", "code": "polis"}, None),
            (3, {"name": "Socialtjänsten", "code": "soc"}, None),
        ],
    )
    rows = [
        (
            i + 2,
            {
                "id": f"c{i}",
                "occurred_at": "2023-05-01 21:30",
                "category": "theft",
                "lat": 59.3326,
                "lon": 18.0649,
                "organisation": org,
                "sensitivity": sens,
            },
            None,
        )
        for i, (org, sens) in enumerate(
            [
                ("polis", "public"),
                ("polis", "shared"),
                ("polis", "restricted"),
                ("soc", "restricted"),
                ("soc", "shared"),
            ]
        )
    ]
    summary = write_records(store, "crimes", rows)
    assert summary.stored == 5 and not summary.rejected
    with store.read() as conn:
        ids = dict(conn.execute(select(organisations.c.code, organisations.c.id)).all())
    return ids


def _seen(store, viewer):
    with store.read() as conn:
        return sorted(
            conn.execute(select(crimes.c.source_id).where(visible(crimes, viewer))).scalars()
        )


def test_visibility_matrix(store):
    ids = _setup(store)
    police = Viewer(1, ids["polis"], Role.ANALYST)
    social = Viewer(2, ids["soc"], Role.FIELD_REPORTER)
    admin_of_social = Viewer(3, ids["soc"], Role.ADMIN)
    assert _seen(store, PUBLIC_VIEWER) == ["c0"]
    assert _seen(store, police) == ["c0", "c1", "c2", "c4"]
    assert _seen(store, social) == ["c0", "c1", "c3", "c4"]
    # An administrator manages accounts; it does not read other organisations' restricted data.
    assert _seen(store, admin_of_social) == ["c0", "c1", "c3", "c4"]
    assert _seen(store, SYSTEM) == ["c0", "c1", "c2", "c3", "c4"]
    assert _seen(store, Viewer(9, None, Role.VIEWER)) == []
