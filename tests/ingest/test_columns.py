"""What a CSV import loads into the process: every command pays for its imports."""

from __future__ import annotations

import subprocess
import sys

from lagesbild.store.lifecycle import init_store

CHECK = """
import sys
from lagesbild.ingest.service import import_file
from lagesbild.store.lifecycle import open_store

store = open_store(sys.argv[1])
summary = import_file(store, "crimes", sys.argv[2]).summary
assert summary.stored == 2, summary
print("pandas" in sys.modules, "pyproj" in sys.modules)
print(round(store.projector.area_ha(__import__("shapely").box(18.06, 59.33, 18.07, 59.335))))
import pyarrow as pa
print(type(pa.table({"a": [1]}).to_pandas()).__name__)
"""


def test_a_csv_import_loads_neither_pandas_nor_pyproj(tmp_path):
    """pyarrow would import pandas (0.3 s) at its first conversion of a Python value; the
    import never hands it a pandas object, so that first look finds none. A later
    `to_pandas` still works: pyarrow then imports pandas itself. The store's projection
    (pyproj, 0.1 s) is made at its first use, which a CSV of lat/lon never needs; it then
    measures an area as before."""
    path = tmp_path / "crimes.csv"
    path.write_text(
        "id,occurred_at,category,lat,lon\n"
        "A,2023-05-01 21:30,theft,59.33,18.06\n"
        "B,2023-05-02 21:30,vandalism,59.34,18.07\n"
    )
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    init_store(url).dispose()
    out = subprocess.run(
        [sys.executable, "-c", CHECK, url, str(path)], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False", "32", "DataFrame"]
