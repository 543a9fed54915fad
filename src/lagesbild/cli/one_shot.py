"""Settings a one-shot command may make for its whole process, which a long-running server
(many requests in threads, pandas wherever a library wants it) must not."""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
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


_leave_at_once = False


def leave_at_once() -> None:
    """Ask that the process, once the command has ended well (exit status 0), end without
    Python's own tear-down (`end_now_if_asked`). Called by `lagesbild import` when its store
    is closed and its summary printed."""
    global _leave_at_once
    _leave_at_once = True


def end_now_if_asked(status: object) -> None:
    """End the process at once if `leave_at_once` was asked and `status` (a SystemExit's
    code) is success; else return, and the process ends as usual.

    Python's tear-down frees every object of every module one by one: after an import that
    is 70-90 ms of nothing (SQLAlchemy's and the schema's objects alone ~45 ms; measured
    from the last exit handler to the process's end), 6 % of a re-import of 300,000 rows.
    The exit handlers still run (temporary folders, multiprocessing) and the output is
    flushed; only the freeing is skipped, which the operating system does at once (mypy
    ends so too: `util.hard_exit`). With a thread still alive the process ends as usual,
    which waits for it. Called only in the command line's own process
    (`lagesbild.__main__`), never in a caller's, such as the tests' `CliRunner`."""
    if not _leave_at_once or status not in (0, None):
        return
    if threading.active_count() > 1:  # a thread still works: Python's exit would wait for it
        return
    atexit._run_exitfuncs()  # the exit handlers, as a normal exit runs them
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said there
            pass
    os._exit(0)


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
