"""`cli.one_shot`: what `lagesbild import` sets for its own process, and only there."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from lagesbild.cli.one_shot import bulk_work
from lagesbild.store.lifecycle import init_store

CSV = "id,occurred_at,category,lat,lon\nA,2023-05-01 21:30,theft,59.33,18.06\n"

# runs `lagesbild import` in this process, recording the collector while chunks are stored
THROUGH_THE_CLI = """
import gc, sys
from lagesbild.cli import main
from lagesbild.ingest.bulk import pipeline

seen = []
real = pipeline._store
pipeline._store = lambda *a: seen.append(gc.isenabled()) or real(*a)
url, path = sys.argv[1:3]
sys.argv = ["lagesbild", "import", "crimes", path, "--db", url]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
print(seen, gc.isenabled(), *(m in sys.modules for m in ("pandas", "pyproj", "pydantic")))
import pyarrow as pa
print(type(pa.table({"a": [1]}).to_pandas()).__name__)
from lagesbild.store.lifecycle import open_store
import shapely
print(round(open_store(url).projector.area_ha(shapely.box(18.06, 59.33, 18.07, 59.335))))
"""

# the same import as the web server makes it (import_file), then pandas as any library uses it
AS_THE_SERVER = """
import gc, sys
from lagesbild.ingest.service import import_file
from lagesbild.store.lifecycle import open_store
url, path = sys.argv[1:3]
assert import_file(open_store(url), "crimes", path).summary.stored == 1
import pandas as pd
import pyarrow as pa
print(gc.isenabled(), type(pa.scalar(1_000_000_001, pa.timestamp("ns")).as_py()).__name__)
"""


def _run(code: str, tmp_path) -> list[str]:
    path = tmp_path / "crimes.csv"
    path.write_text(CSV)
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    init_store(url).dispose()
    out = subprocess.run(
        [sys.executable, "-c", code, url, str(path)], capture_output=True, text=True, check=True
    )
    return out.stdout.splitlines()


def test_the_import_command_loads_neither_pandas_nor_pyproj_nor_pydantic(tmp_path):
    """pyarrow's first look for pandas (0.3 s of an import) finds none, the collector is off
    while the chunks are stored and on again after; the store's projection (pyproj, 0.1 s)
    is made at its first use, which a CSV of lat/lon never needs; the command line's parser
    does without pydantic (Typer 0.29 imports it for every command: 50 ms of each start-up,
    so pyproject keeps Typer below 0.29). Afterwards `to_pandas` still works and the
    projector measures an area."""
    got = _run(THROUGH_THE_CLI, tmp_path)[-3:]  # after the command's own summary
    assert got == ["[False] True False False False", "DataFrame", "32"]


def test_an_import_outside_the_command_leaves_pandas_and_the_collector_alone(tmp_path):
    """The web server imports through `import_file` in its threads: pyarrow still knows
    pandas there (a nanosecond timestamp comes back as pandas' Timestamp) and the collector
    was never turned off."""
    assert _run(AS_THE_SERVER, tmp_path) == ["True Timestamp"]


def test_bulk_work_restores_the_collector_as_it_was():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), bulk_work():
        assert not gc.isenabled()
        raise RuntimeError("disk gone")
    assert gc.isenabled()
    gc.disable()
    try:
        with bulk_work():
            pass
        assert not gc.isenabled()  # off before, off after
    finally:
        gc.enable()


# the command as `lagesbild` runs it (lagesbild.__main__), with an exit handler and an object
# that Python's tear-down would finalise
AS_THE_COMMAND = """
import atexit, sys
from lagesbild.__main__ import main

class Torn:
    def __del__(self):
        print("torn down", flush=True)

kept = Torn()
atexit.register(lambda: print("exit handler", flush=True))
url, path = sys.argv[1:3]
sys.argv = ["lagesbild", "import", "crimes", path, "--db", url]
main()
"""


@pytest.mark.parametrize("well", [True, False])
def test_an_import_that_ended_well_skips_the_tear_down_only(tmp_path, well):
    """`lagesbild import` ends its process without Python's tear-down once it has ended
    well: the summary is printed whole, the exit handlers ran, the store is closed (no
    write-ahead log left behind), but no object was finalised. An import that fails ends
    as any process does."""
    path = tmp_path / "crimes.csv"
    path.write_text(CSV if well else "no,such,columns\n1,2,3\n")
    store = tmp_path / "store.sqlite"
    url = f"sqlite:///{store}"
    init_store(url).dispose()
    out = subprocess.run(
        [sys.executable, "-c", AS_THE_COMMAND, url, str(path)], capture_output=True, text=True
    )
    lines = out.stdout.splitlines()
    assert "exit handler" in lines
    if well:
        assert out.returncode == 0, out.stderr
        assert "torn down" not in lines
        assert lines[-3].split() == ["│", "1", "│", "1", "│", "0", "│", "0", "│", "0", "│"]
        assert lines[-2].startswith("└")  # the summary's table, whole
        assert not (tmp_path / "store.sqlite-wal").exists()
        assert not (tmp_path / "store.sqlite-shm").exists()
    else:
        assert out.returncode != 0 and "torn down" in lines
