"""Rows of a point layer as columns: the unit of work of the fast path (`ingest.bulk`).

`Columns` holds one chunk of a file as Arrow string arrays (one per canonical column), the file
line of each row, and, for GIS files, the row's geometry. Two ways to get them:

- `from_records` turns `(line, record, geometry)` triples of any reader into columns;
- `CsvColumns` reads a CSV file with Arrow's streaming CSV reader, straight into columns, without
  a Python object per row. That reader is several times faster than the `csv` module, which is
  why it is used; it is only used where its rows and line numbers are exactly those of the
  `csv` module (`CsvColumns.open` says when).
"""

from __future__ import annotations

import csv
import io
import mmap
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from shapely.geometry.base import BaseGeometry

from lagesbild.domain.values import UNSAFE_START
from lagesbild.ingest.sources import FileProblem, Source, wrong_width

# bytes of CSV per chunk (~18,000 rows of a police extract): the reading process
# (`bulk.overlap`) hands the first chunk over soon, and the last one leaves little for the
# writer alone (farm-bench, 300,000 rows with the reading process: wall 0.90 against 4 MiB
# chunks; in one process no slower, 0.98)
BLOCK = 1 << 20


@dataclass
class Columns:
    """One chunk of rows. `values[name]` are strings (null or "" = blank), one per row."""

    lines: np.ndarray  # int64, the file line of each row
    values: dict[str, pa.Array]
    geoms: list[BaseGeometry | None] | None = None  # GIS rows only
    records: list[dict[str, Any]] | None = None  # the reader's own records, when it made them
    rejects: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # unreadable rows

    def __len__(self) -> int:
        return len(self.lines)

    def column(self, name: str) -> pa.Array:
        got = self.values.get(name)
        return got if got is not None else pa.nulls(len(self), pa.string())

    def record(self, i: int) -> dict[str, Any]:
        """Row `i` as the record a row-by-row reader makes of it (for build and reports)."""
        if self.records is not None:
            return self.records[i]
        return {name: arr[i].as_py() for name, arr in self.values.items()}

    def geom(self, i: int) -> BaseGeometry | None:
        return self.geoms[i] if self.geoms is not None else None


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value != value:  # NaN is OGR's blank
        return None
    return str(value)


def from_records(triples: list[tuple[int, dict[str, Any], BaseGeometry | None]]) -> Columns:
    """Columns of triples whose records are all readable (no REJECT key)."""
    recs = [t[1] for t in triples]
    names = list(dict.fromkeys(k for r in recs for k in r))
    values = {
        name: pa.array([_as_text(r.get(name)) for r in recs], type=pa.string()) for name in names
    }
    return Columns(
        np.fromiter((t[0] for t in triples), dtype=np.int64, count=len(triples)),
        values,
        [t[2] for t in triples],
        recs,
    )


@dataclass
class CsvColumns:
    """A CSV source read in column chunks by Arrow (see the module docstring). Made by
    `CsvColumns.open`, which reads the file's bytes once to decide and to count."""

    source: Source
    owner: str | None  # organisation of rows that name none (`import --organisation`)
    quoted: bool  # the file has a quote: values may hold new lines
    last_line: int  # the number of the file's last line

    @classmethod
    def open(cls, source: Source, owner: str | None = None) -> CsvColumns | None:
        """Columns of `source` if Arrow reads it exactly as the `csv` module does, line
        numbers included: the header on the first line, more than one column, no blank line
        before the end (Arrow skips blank lines without counting them) and no line of half a
        chunk or more (Arrow refuses a row longer than its chunk); else None."""
        if source.kind != "csv" or source._csv is None or len(source.columns) < 2:
            return None
        if source._csv[0] not in ("utf-8-sig", "utf-8", "cp1252"):
            return None
        with open(source.path, "rb") as fh:
            if fh.seek(0, 2) == 0:
                return None
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                start = 3 if mm[:3] == b"\xef\xbb\xbf" else 0
                if mm[start : start + 1] in (b"\n", b"\r"):
                    return None  # blank lines before the header
                end = len(mm)
                while end > 0 and mm[end - 1 : end] in (b"\n", b"\r", b" ", b"\t"):
                    end -= 1
                # blank lines; those with a \r only where the file has one (a file from Unix
                # tools has none: a scan for one byte is ~20x faster than for two, 25 ms less
                # per 300,000 rows)
                blank = _BLANK if mm.find(b"\r", 0, end) != -1 else _BLANK_LF
                if any(b.search(mm, 0, end) for b in blank):
                    return None
                if _has_line_over(mm, BLOCK // 2):
                    return None  # Arrow's reader refuses a row longer than its chunk
                quoted = mm.find(b'"') != -1
                lines = _count_lines(mm) if quoted else 0  # only new lines in values need it
        return cls(source, owner, quoted, lines)

    def expected_rows(self, first_chunk_rows: int) -> int:
        """The file's rows, estimated from its size and the rows of its first chunk."""
        size = self.source.path.stat().st_size
        return int(first_chunk_rows * size / max(1, min(size, BLOCK)))

    def chunks(self) -> Iterator[Columns]:
        source = self.source
        assert source._csv is not None
        encoding, delimiter = source._csv
        width = len(source.columns)
        names = [f"c{i}" for i in range(width)]
        wanted = {name: f"c{pos}" for name, pos in source.index.items()}
        invalid: list[tuple[int, str]] = []

        def on_invalid(row) -> str:
            invalid.append((row.number, row.text))
            return "skip"

        quoted = self.quoted

        try:  # Arrow reads the first chunk at once
            reader = pacsv.open_csv(
                source.path,
                read_options=pacsv.ReadOptions(
                    use_threads=False,  # row numbers of bad rows are known only without threads
                    block_size=BLOCK,
                    skip_rows=1,
                    column_names=names,
                    encoding="utf8" if encoding.startswith("utf-8") else encoding,
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter, newlines_in_values=quoted, invalid_row_handler=on_invalid
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.string() for n in names},
                    include_columns=names if quoted else list(dict.fromkeys(wanted.values())),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid as exc:
            raise _arrow_problem(source.path, exc) from None
        last_line = self.last_line if quoted else None
        next_row = 2  # Arrow's row number (the header is row 1) of the next row
        extra_lines = 0  # newlines inside quoted values so far: line = row + extra_lines
        for batch in _batches(reader, source.path):
            n = batch.num_rows
            rows = next_row + np.arange(n, dtype=np.int64)
            bad, later = [], []
            for number, text in sorted(invalid):  # rows Arrow skipped keep their numbers
                if n and number <= rows[-1]:
                    rows[rows >= number] += 1
                    bad.append((number, text))
                else:
                    later.append((number, text))  # after this chunk's last row
            invalid[:] = later
            inner = np.zeros(n, dtype=np.int64)
            if quoted:
                for col in batch.columns:
                    inner += pc.count_substring(col, "\n").to_numpy(zero_copy_only=False)
            # a row's line is where it ends, as csv.reader's line_num counts
            lines = rows + extra_lines + np.cumsum(inner)
            if last_line is not None:  # a quote left open swallows the final new line too
                np.minimum(lines, last_line, out=lines)
            rejects = []
            for number, text in bad:
                nl = text.count("\n")
                lines[rows > number] += nl
                reject = _unreadable(text, delimiter, width, source.index.items())
                if reject is not None:
                    before = int(inner[rows < number].sum())
                    rejects.append((number + extra_lines + before + nl, reject))
            extra_lines += int(inner.sum()) + sum(t.count("\n") for _, t in bad)
            if n:
                next_row = int(rows[-1]) + 1
            values = {name: _unguard(batch.column(col)) for name, col in wanted.items()}
            if self.owner:
                org = values.get("organisation")
                if org is None:
                    values["organisation"] = pa.array([self.owner] * n, type=pa.string())
                else:
                    empty = pc.equal(pc.utf8_trim_whitespace(org), "")
                    values["organisation"] = pc.if_else(empty, self.owner, org)
            yield Columns(lines, values, rejects=rejects)
        rejects = []
        for number, text in sorted(invalid):  # bad rows after the last good one
            reject = _unreadable(text, delimiter, width, source.index.items())
            if reject is not None:
                rejects.append((number + extra_lines + text.count("\n"), reject))
            extra_lines += text.count("\n")
        if rejects:
            yield Columns(np.zeros(0, dtype=np.int64), {}, rejects=rejects)


def _unreadable(text: str, delimiter: str, width: int, wanted) -> dict[str, Any] | None:
    """The reject of a row with the wrong number of fields, as the `csv` reader makes it; None
    for a line of spaces, which the csv module reads as a blank line."""
    fields = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    if not fields or (len(fields) == 1 and not fields[0].strip()):
        return None
    return wrong_width(fields, width, wanted)


# A blank line ends as one starts: \n\n, \n\r\n or \r\r. Searched by `re`, whose literal
# search is twice as fast as mmap.find's for two bytes (a file of 300,000 rows: 15 against 38 ms)
_BLANK_LF = (re.compile(rb"\n\n"),)
_BLANK = (re.compile(rb"\n\r?\n"), re.compile(rb"\r\r"))


def _has_line_over(mm: mmap.mmap, limit: int) -> bool:
    """Whether a line of the file is longer than `limit` bytes. From the start of each line,
    the last new line within `limit` bytes is looked for (a window at a time, from its end):
    a few calls per chunk, however many lines it holds."""
    pos, size = 0, len(mm)
    while size - pos > limit:
        last = mm.rfind(b"\n", pos, pos + limit + 1)
        if last == -1:
            return True
        pos = last + 1
    return False


def _count_lines(mm: mmap.mmap) -> int:
    step = 16 << 20  # counted a slice at a time: never a copy of the whole file
    lines = sum(mm[i : i + step].count(b"\n") for i in range(0, len(mm), step))
    return lines + (0 if mm[-1:] == b"\n" else 1)


_GUARDED = "^'([" + "".join(re.escape(c) for c in UNSAFE_START) + "])"  # as values.unguard


def _unguard(column: pa.Array) -> pa.Array:
    """`values.unguard` on a column: the apostrophe an export put before = + - @ comes off."""
    if not pc.any(pc.starts_with(column, "'")).as_py():
        return column
    return pc.replace_substring_regex(column, _GUARDED, r"\1")


def _arrow_problem(path, exc: pa.ArrowInvalid) -> FileProblem:
    """Arrow's complaint about the file, as a FileProblem naming it."""
    return FileProblem(f"{path}: {str(exc).splitlines()[0]}")


def _batches(reader, path) -> Iterator[pa.RecordBatch]:
    """The reader's batches; Arrow's complaint about the file as a FileProblem naming it."""
    try:
        yield from reader
    except pa.ArrowInvalid as exc:
        raise _arrow_problem(path, exc) from None
