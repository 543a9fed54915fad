"""The fast path's column parsers (ingest.bulk.parsers), against Python's own datetime."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from lagesbild.ingest.bulk import parsers

ZONES = [
    "Europe/Stockholm",
    "America/New_York",
    "Europe/Dublin",  # its summer time is the standard one: a negative DST
    "Australia/Lord_Howe",  # half an hour of DST
    "Pacific/Chatham",  # offsets of +12:45 and +13:45
    "America/St_Johns",  # -3:30 and -2:30, changes at 02:00 then at 00:01
    "Asia/Kolkata",  # no DST
    "Africa/Casablanca",  # DST suspended for Ramadan: four changes in some years
    "America/Santiago",
]


def _reference(tz, year: int) -> tuple[np.ndarray, np.ndarray]:
    """Each hour's offset at its first second, and whether its last second has the same:
    `datetime.replace(tzinfo=tz)` asked at both ends of every hour."""
    start = datetime(year, 1, 1)
    hours = (datetime(year + 1, 1, 1) - start) // timedelta(hours=1)
    us = timedelta(microseconds=1)
    offsets, good = np.empty(hours, dtype=np.int64), np.empty(hours, dtype=bool)
    for i in range(hours):
        h = start + timedelta(hours=i)
        first = h.replace(tzinfo=tz).utcoffset()
        last = (h + timedelta(minutes=59, seconds=59)).replace(tzinfo=tz).utcoffset()
        offsets[i], good[i] = first // us, first == last
    return offsets, good


@pytest.mark.parametrize("zone", ZONES)
def test_year_offsets_are_those_datetime_gives_at_both_ends_of_every_hour(zone):
    """The table of UTC offsets that turns local times into UTC asks the zone at each hour's
    start and only near a change at its end: equal, hour by hour, to asking both ends of
    every hour, in zones with DST changes at whole hours, half hours and odd minutes, negative
    DST, none, and in leap years."""
    try:
        tz = zoneinfo.ZoneInfo(zone)
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip(f"no time zone data for {zone}")
    for year in (1975, 2011, 2024, 2040):
        offsets, good = parsers._year_offsets.__wrapped__(tz, year)
        want_offsets, want_good = _reference(tz, year)
        assert np.array_equal(offsets, want_offsets), (zone, year)
        assert np.array_equal(good, want_good), (zone, year)
    # the zones above do change within an hour in some of these years: the check has teeth
    if zone in ("Australia/Lord_Howe", "Pacific/Chatham", "America/St_Johns"):
        assert not all(_reference(tz, y)[1].all() for y in (1975, 2011, 2024, 2040))


@pytest.mark.parametrize("suffix", ["", "+00"])
@pytest.mark.parametrize("whole_seconds", [False, True])
def test_utc_text_is_what_python_writes(suffix, whole_seconds):
    """The stored text of UTC instants, made by numpy, equals `isoformat` (SQLAlchemy's form,
    which the row-by-row path stores), over the years the store takes, to the microsecond;
    also when every value is in whole seconds (fields of zeros are left as the buffer's
    zeros)."""
    rng = np.random.default_rng(5)
    lo = np.datetime64("0001-01-02T00:00:00", "us").astype(np.int64)
    hi = np.datetime64("9999-12-30T23:59:59.999999", "us").astype(np.int64)
    us = rng.integers(lo, hi, 20_000)
    if whole_seconds:
        us -= us % 1_000_000
    us[:3] = [lo, hi, np.datetime64("2024-02-29T09:05:07.000301", "us").astype(np.int64)]
    utc = us.astype("datetime64[us]")
    want = [d.isoformat(" ", "microseconds") + suffix for d in utc.astype(datetime).tolist()]
    assert parsers._utc_text(utc, suffix) == want


def _local_texts(rng, width: int, n: int) -> list[str]:
    """Texts of the form _ISO_LOCAL matches, `width` 10, 16 or 19 long, with months, days,
    hours, minutes and seconds that are often out of range."""
    y, mo, d = rng.integers(1, 10_000, n), rng.integers(0, 14, n), rng.integers(0, 33, n)
    h, mi, s = rng.integers(0, 25, n), rng.integers(0, 61, n), rng.integers(0, 61, n)
    out = []
    for i in range(n):
        t = f"{y[i]:04d}-{mo[i]:02d}-{d[i]:02d}"
        if width >= 16:
            t += f"{' ' if i % 2 else 'T'}{h[i]:02d}:{mi[i]:02d}"
        if width == 19:
            t += f":{s[i]:02d}"
        out.append(t)
    return out


@pytest.mark.parametrize("form", ["date", "minutes", "seconds", "mixed", "sliced"])
def test_local_texts_parse_as_fromisoformat(form):
    """`_parse_local`, on a column of one length (read as a matrix of bytes) and of mixed
    lengths (cut by Arrow): a text is ok exactly when `datetime.fromisoformat` takes it (30
    February, 29 February of a common year, hour 24, minute 60 are not), and its value is
    the one `fromisoformat` gives, over years 1-9999."""
    rng = np.random.default_rng(9)
    width = {"date": 10, "minutes": 16, "seconds": 19}.get(form, 16)
    if form == "mixed":
        texts = [t for w in (10, 16, 19) for t in _local_texts(rng, w, 4000)]
    else:
        texts = _local_texts(rng, width, 12_000)
    special = ["2024-02-29 12:00:00", "2023-02-29 12:00:00", "0001-01-01 00:00:00"]
    texts[:4] = [t[:width] for t in [*special, "9999-12-31 23:59:59"]]
    column = pa.array(texts, pa.string())
    if form == "sliced":  # a chunk's column may start inside Arrow's buffers
        column, texts = column.slice(7), texts[7:]
    assert (parsers._fixed_width(column) is None) == (form == "mixed")
    got, ok = parsers._parse_local(column)
    want = []
    for text in texts:
        try:
            want.append(datetime.fromisoformat(text))
        except ValueError:
            want.append(None)
    assert ok.tolist() == [w is not None for w in want]
    assert got[ok].astype(datetime).tolist() == [w for w in want if w is not None]
    if form != "sliced":
        assert ok[:4].tolist() == [True, False, True, True]
