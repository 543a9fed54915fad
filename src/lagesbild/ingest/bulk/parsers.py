"""Column parsers of the fast path: a chunk's text columns (Arrow arrays) to the values the
store keeps, with Arrow compute and numpy, and for each row whether the column-wise checks
settle it. A row they do not settle is not rejected here: it goes through the layer's own
`build`, which gives the reason (or takes a form these parsers leave alone)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lagesbild.domain.periods import MAX_YEAR, MIN_YEAR
from lagesbild.errors import LagesbildError
from lagesbild.ingest.columns import Columns
from lagesbild.ingest.layers import LayerSpec, RowContext, record_key
from lagesbild.ingest.offences import category_for, default_table

TEXT_LIMITS = {"offence_code": 32, "place_text": 300, "text": 2000, "id": 200}
_NUMBER = r"^[-+]?[0-9]+([.,][0-9]+)?$"
_ISO_LOCAL = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?$"


def trim(a: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(pc.cast(a, pa.string()))


def filled(a: pa.Array, fill: Any) -> np.ndarray:
    return pc.fill_null(a, fill).to_numpy(zero_copy_only=False, writable=True)


def is_blank(t: pa.Array) -> np.ndarray:
    """Of trimmed text: null or empty."""
    return filled(pc.equal(t, ""), True)


def floats(t: pa.Array) -> np.ndarray:
    """Plain decimal numbers (point or comma) of trimmed text; NaN for anything else, which
    the row-by-row parser then reads or rejects."""
    plain = pc.match_substring_regex(t, _NUMBER)
    text = pc.if_else(plain, pc.replace_substring(t, ",", "."), pa.scalar(None, pa.string()))
    return filled(pc.cast(text, pa.float64()), np.nan)


def texts(t: pa.Array, limit: int) -> tuple[list[str | None], np.ndarray]:
    """Trimmed text, blank as None; rows longer than `limit` are not ok."""
    ok = filled(pc.less_equal(pc.utf8_length(t), limit), True)
    return pc.if_else(pc.equal(t, ""), pa.scalar(None, pa.string()), t).to_pylist(), ok


@functools.lru_cache(maxsize=256)
def _year_offsets(tz, year: int) -> tuple[np.ndarray, np.ndarray]:
    """For each hour of a local year: its UTC offset (us) as `datetime.replace(tzinfo=tz)` gives
    it (fold=0), and whether the offset holds for the whole hour (not in a DST change).

    The offset is asked at each day's start, and at each hour's start only in a day whose
    next day starts with another; an hour's last second is asked only where the next hour's
    offset differs. An offset that changed and changed back within a day would be missed;
    the tests find none in the zones they try. Asking both ends of every hour took 28 ms per
    year of a file's dates, each hour's start 13 ms, on the path of a file's first chunk."""
    start = datetime(year, 1, 1)
    days = (datetime(year + 1, 1, 1) - start).days
    hours = days * 24
    day, step, us = timedelta(days=1), timedelta(hours=1), timedelta(microseconds=1)
    # each day's offset at its start, and the next year's first day's
    daily = np.array(
        [(start + k * day).replace(tzinfo=tz).utcoffset() // us for k in range(days + 1)],
        dtype=np.int64,
    )
    # each hour's offset at its start, and the next year's first hour's
    at = np.append(np.repeat(daily[:-1], 24), daily[-1])
    for d in np.flatnonzero(daily[:-1] != daily[1:]).tolist():
        first = start + d * day
        at[d * 24 : d * 24 + 24] = [
            (first + k * step).replace(tzinfo=tz).utcoffset() // us for k in range(24)
        ]
    good = np.ones(hours, dtype=bool)
    for i in np.flatnonzero(at[:-1] != at[1:]).tolist():
        last = (start + timedelta(hours=i, minutes=59, seconds=59)).replace(tzinfo=tz)
        good[i] = last.utcoffset() // us == at[i]
    return at[:-1], good


def _local_to_utc(naive: np.ndarray, tz) -> tuple[np.ndarray, np.ndarray]:
    """Naive local datetime64[us] to UTC, exactly as `datetime.replace(tzinfo=tz)` does
    (fold=0), by a table of each hour's offset per year. Returns (utc, ok): an hour in which
    the offset changes (a DST gap or fold) is not ok and goes row by row."""
    years = naive.astype("datetime64[Y]").astype(np.int64) + 1970
    y0, y1 = int(years.min()), int(years.max())
    if y1 - y0 > 200:  # not a police extract: no table, row by row
        return naive, np.zeros(len(naive), dtype=bool)
    tables = [_year_offsets(tz, y) for y in range(y0, y1 + 1)]
    offsets = np.concatenate([t[0] for t in tables])
    good = np.concatenate([t[1] for t in tables])
    first = np.datetime64(f"{y0:04d}-01-01T00", "h").astype(np.int64)
    at = naive.astype("datetime64[h]").astype(np.int64) - first
    return naive - offsets[at].astype("timedelta64[us]"), good[at]


def _parse_local(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """`YYYY-MM-DD[ HH:MM[:SS]]` text (already matched by _ISO_LOCAL) to naive datetime64[us],
    with the checks of `datetime.fromisoformat` (month, day of that month, hour, minute,
    second). Arrow's strptime is not used: it rolls 30 February over into March.

    A column whose texts all have one length (a police extract's, as a rule) is read as a
    matrix of its bytes, each field's digits by numpy; others are cut by Arrow. The calendar
    is integer arithmetic (`_days_from_civil`): 4 -> 1 ms per 19,000 texts of one length."""
    fixed = _fixed_width(text)
    if fixed is not None:
        digit = fixed.astype(np.int64) - 48
        width = fixed.shape[1]

        def part(a: int, b: int) -> np.ndarray:
            if a >= width:  # a form without the time, or without seconds
                return np.zeros(len(fixed), dtype=np.int64)
            out = digit[:, a]
            for k in range(a + 1, b):
                out = out * 10 + digit[:, k]
            return out

    else:
        padded = pc.utf8_rpad(pc.replace_substring(text, "T", " "), 19, "0")

        def part(a: int, b: int) -> np.ndarray:
            return pc.cast(pc.utf8_slice_codeunits(padded, a, b), pa.int64()).to_numpy()

    y, mo, d = part(0, 4), part(5, 7), part(8, 10)
    h, mi, s = part(11, 13), part(14, 16), part(17, 19)
    month = np.clip(mo, 1, 12)
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    ok = (y >= 1) & (mo >= 1) & (mo <= 12) & (d >= 1) & (h <= 23) & (mi <= 59) & (s <= 59)
    ok &= d <= _MONTH_DAYS[month - 1] + (leap & (month == 2))
    days = _days_from_civil(y, month, d)
    return (days * 86_400_000_000 + (h * 3600 + mi * 60 + s) * 1_000_000).astype(
        "datetime64[us]"
    ), ok


_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _fixed_width(text: pa.Array) -> np.ndarray | None:
    """The bytes of a string array whose values all have the same length of 10, 16 or 19
    (the three forms of _ISO_LOCAL) and none is null, as an (n, length) matrix; else None."""
    n = len(text)
    if not n or text.null_count or text.type != pa.string():
        return None
    _, offsets, data = text.buffers()
    at = np.frombuffer(offsets, dtype=np.int32, count=n + 1, offset=4 * text.offset)
    width = int(at[1] - at[0])
    if width not in (10, 16, 19) or int(at[-1] - at[0]) != n * width:
        return None
    if not (np.diff(at) == width).all():
        return None
    return np.frombuffer(data, dtype=np.uint8, count=n * width, offset=int(at[0])).reshape(n, width)


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's `days_from_civil`,
    the inverse of `_civil`)."""
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * np.where(m > 2, m - 3, m + 9) + 2) // 5 + d - 1
    return era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day of days since 1970-01-01 in the proleptic Gregorian calendar, in
    integer arithmetic (H. Hinnant's `civil_from_days`): three times as fast as numpy's
    datetime64[M] conversions, which the text of every stored instant needs."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097  # day of the 400-year era, 0..146096
    yoe = (doe - doe // 1_460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)  # day of the year from 1 March
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


# "00".."99" as two ASCII digits each: a field's digits are written two at a time
_PAIRS = np.array([[48 + i // 10, 48 + i % 10] for i in range(100)], dtype=np.uint8)


def _utc_text(utc: np.ndarray, suffix: str) -> list[str]:
    """datetime64[us] as `YYYY-MM-DD HH:MM:SS.ffffff` + suffix, the text SQLAlchemy stores on
    SQLite (strftime in Arrow or numpy is 3-5x slower for this). The digits are looked up two
    at a time, and a field that is zero in every row (the seconds and fractions of most
    police extracts) is left as the zeros the buffer starts with: 5.6 -> 3.7 ms per 19,000
    instants of whole minutes, the Python strings made of the text 1.4 ms of it."""
    n = len(utc)
    us = utc.astype(np.int64)
    year, month, day = _civil(us // 86_400_000_000)
    rem = us % 86_400_000_000
    fields = (
        (0, 4, year),
        (5, 2, month),
        (8, 2, day),
        (11, 2, rem // 3_600_000_000),
        (14, 2, rem // 60_000_000 % 60),
        (17, 2, rem // 1_000_000 % 60),
        (20, 6, rem % 1_000_000),
    )
    width = 26 + len(suffix)
    buf = np.full((n, width), ord("0"), dtype=np.uint8)
    for col, ch in ((4, "-"), (7, "-"), (10, " "), (13, ":"), (16, ":"), (19, ".")):
        buf[:, col] = ord(ch)
    for k, ch in enumerate(suffix):
        buf[:, 26 + k] = ord(ch)
    for col, size, value in fields:
        if col >= 17 and not value.any():
            continue
        for k in range(size // 2):  # from the right, two digits at a time
            end = col + size - 2 * k
            buf[:, end - 2 : end] = _PAIRS.take(value // 100**k % 100, axis=0)
    text = buf.tobytes().decode("ascii")
    return [text[i : i + width] for i in range(0, n * width, width)]


def instants(t: pa.Array, tz, pg: bool, required: bool) -> tuple[list[Any], np.ndarray]:
    """Local `YYYY-MM-DD[ HH:MM[:SS]]` (T or space) of trimmed text to the driver's UTC text.
    Anything else (offsets, fractions, other forms) is not ok and goes row by row."""
    n = len(t)
    blank = is_blank(t)
    ok = filled(pc.match_substring_regex(t, _ISO_LOCAL), False)
    out: list[Any] = [None] * n
    if ok.any():
        pos = np.flatnonzero(ok)
        # every row of the form, as usual: no filter (nor Arrow's look at the mask for a
        # numpy masked array, which imports numpy.ma: 15 ms on the first chunk's path)
        naive, valid = _parse_local(t if len(pos) == n else pc.filter(t, pa.array(ok)))
        # years outside MIN_YEAR..MAX_YEAR go row by row (parse_datetime rejects them); a
        # stand-in keeps them out of the table of UTC offsets, which ends at year 9999
        years = naive.astype("datetime64[Y]").astype(np.int64) + 1970
        valid &= (years >= MIN_YEAR) & (years <= MAX_YEAR)
        naive = np.where(valid, naive, np.datetime64("2000-01-01T00:00:00", "us"))
        utc, good = _local_to_utc(naive, tz)
        valid &= good & (utc >= np.datetime64("0001-01-02")) & (utc < np.datetime64("9999-12-31"))
        ok[pos[~valid]] = False
        keep = np.flatnonzero(valid)
        values = _utc_text(utc[keep], "+00" if pg else "")
        if len(values) == n:  # every row of the form and valid, as usual: the list as it is
            out = values
        else:
            for p, v in zip(pos[keep].tolist(), values, strict=True):
                out[p] = v
    ok |= blank & (not required)
    return out, ok


def per_distinct(t: pa.Array, fn: Callable[[Any], Any]) -> tuple[list[Any], np.ndarray]:
    """Apply a validating function once per distinct value (None for null)."""
    enc = pc.dictionary_encode(t, null_encoding="encode")
    keys = enc.dictionary.to_pylist()
    results, oks = [], []
    for k in keys:
        try:
            results.append(fn(k))
            oks.append(True)
        except (LagesbildError, ValueError, TypeError):
            results.append(None)
            oks.append(False)
    idx = enc.indices.to_numpy(zero_copy_only=False)
    return np.asarray(results, dtype=object)[idx].tolist(), np.asarray(oks, dtype=bool)[idx]


def category_codes(ctx: RowContext, spec: LayerSpec, cols: Columns) -> tuple[list, np.ndarray]:
    allowed = pa.array(sorted(set(ctx.taxonomy.codes(spec.name))), type=pa.string())
    text = pc.fill_null(pc.utf8_lower(trim(cols.column("category"))), "")
    if spec.name == "crimes" and "offence_code" in cols.values:
        table = ctx.offences if ctx.offences is not None else default_table()
        by_code, _ = per_distinct(
            cols.column("offence_code"),
            lambda c: "" if c is None or not c.strip() else category_for(table, c) or "",
        )
        text = pc.if_else(pc.equal(text, ""), pa.array(by_code, type=pa.string()), text)
    ok = filled(pc.is_in(text, value_set=allowed), False)
    return text.to_pylist(), ok


def source_keys(spec: LayerSpec, cols: Columns) -> tuple[list, list, np.ndarray]:
    """Stable keys: the source's id, else (row by row) a hash of the row's content."""
    sid = pc.fill_null(trim(cols.column("id")), "")
    has = filled(pc.and_(pc.not_equal(sid, ""), pc.invert(pc.starts_with(sid, "h:"))), False)
    ok = filled(pc.less_equal(pc.utf8_length(sid), TEXT_LIMITS["id"]), True) | ~has
    keys = pc.binary_join_element_wise(f"{spec.name}:id:", sid, "").to_pylist()
    ids: list[str | None] = sid.to_pylist()
    for i in np.flatnonzero(~has).tolist():
        keys[i], ids[i] = record_key(spec.name, cols.record(i), cols.geom(i))
    return keys, ids, ok


def locations(ctx: RowContext, spec: LayerSpec, cols: Columns) -> tuple[np.ndarray, ...]:
    """lon, lat and the rows whose point the column-wise checks settle: lat/lon, x/y in ctx.crs,
    or a GIS point; anything odd goes through build for its reason."""
    n = len(cols)
    lat_t, lon_t = trim(cols.column("lat")), trim(cols.column("lon"))
    lon, lat = floats(lon_t), floats(lat_t)
    ok = (lat >= -90) & (lat <= 90) & (lon >= -180) & (lon <= 180)  # NaN fails
    if ctx.crs is not None:
        no_latlon = is_blank(lat_t) & is_blank(lon_t)
        if no_latlon.any():
            from lagesbild.geo.crs import parse_crs, transformer

            x = floats(trim(cols.column("x")))[no_latlon]
            y = floats(trim(cols.column("y")))[no_latlon]
            tr = transformer(parse_crs(ctx.crs).to_string(), "EPSG:4326")
            tx, ty = tr.transform(x, y)
            lon[no_latlon], lat[no_latlon] = tx, ty
            ok |= no_latlon & np.isfinite(lon) & np.isfinite(lat)
    if cols.geoms is not None:
        for i, g in enumerate(cols.geoms):
            if g is not None:
                point = g.geom_type == "Point" and not g.is_empty
                if point:
                    lon[i], lat[i] = g.x, g.y
                ok[i] = point
    if spec.name == "crimes" and "place" in cols.values:  # known only to a place: build
        ok &= is_blank(trim(cols.column("place"))) | ~np.isnan(lon)
    reg = ctx.region
    ok &= (lon >= reg.min_lon) & (lon <= reg.max_lon) & (lat >= reg.min_lat) & (lat <= reg.max_lat)
    assert len(ok) == n
    return lon, lat, ok
