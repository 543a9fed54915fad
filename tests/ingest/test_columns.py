"""`ingest.columns`: what reading a CSV with Arrow loads into the process."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
from lagesbild.ingest.service import import_file
from lagesbild.store.lifecycle import init_store

store = init_store(sys.argv[1])
summary = import_file(store, "crimes", sys.argv[2]).summary
assert summary.stored == 2, summary
print("pandas" in sys.modules)
import pyarrow as pa
print(type(pa.table({"a": [1]}).to_pandas()).__name__)
"""


def test_an_import_loads_no_pandas_and_arrow_still_converts_to_it(tmp_path):
    """pyarrow would import pandas (0.3 s) at its first conversion of a Python value; the
    import never hands it a pandas object, so that first look finds none. A later
    `to_pandas` still works: pyarrow then imports pandas itself."""
    path = tmp_path / "crimes.csv"
    path.write_text(
        "id,occurred_at,category,lat,lon\n"
        "A,2023-05-01 21:30,theft,59.33,18.06\n"
        "B,2023-05-02 21:30,vandalism,59.34,18.07\n"
    )
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    out = subprocess.run(
        [sys.executable, "-c", CHECK, url, str(path)], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "DataFrame"]
