"""Settings a one-shot command may make for its whole process, which a long-running server
(many requests in threads, pandas wherever a library wants it) must not."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def bulk_work() -> Iterator[None]:
    """For `lagesbild import`, which then exits:

    - pyarrow looks for pandas the first time it turns any Python value into an Arrow one, and
      imports it if it is installed: 0.3 s by `-X importtime`, and an import never hands
      pyarrow a pandas object. That first look finds none. pyarrow then treats pandas as
      absent for the rest of the process (a pandas object it is given is taken as a plain
      sequence) until something asks it for pandas (`to_pandas`), which imports it;
    - Python's cyclic collector is off: the rows are tuples of plain values, made by the
      hundred thousand and never in a cycle, and the collector ran over them thousands of
      times for nothing. It is restored as it was, also on an error."""
    _arrow_probes_no_pandas()
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _arrow_probes_no_pandas() -> None:
    if "pandas" in sys.modules:
        return
    import pyarrow as pa

    sys.meta_path.insert(0, _NoPandas)
    try:
        pa.scalar(0)
    finally:
        sys.meta_path.remove(_NoPandas)


class _NoPandas:
    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas":
            raise ModuleNotFoundError("pandas left out of pyarrow's first look", name=name)
