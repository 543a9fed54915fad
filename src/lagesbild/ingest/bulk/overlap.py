"""Reading and checking a big CSV in a second process while this one writes.

The writer (this process) spends its time in the driver: binding each row's parameters and the
engine's own work. Reading the file and the column-wise checks (`pipeline._prepare`) are the
other third of an import. A forked child does those for the next chunk while the parent writes
the one before, and hands each prepared chunk back through a pipe. The pipe holds little, so the
child is at most about a chunk ahead: memory stays bounded by the chunk size, not the file.

The child only reads: it never touches the store. Everything it needs from the store (the
resolver's names, the place index) was loaded before the fork; the resolver's connection is
taken from it, so that a look-up that would query fails loudly instead of using a connection
the parent owns. Summaries, rejects, progress and the transaction stay in the parent.

Threads were measured first and gave ~4 %: the GIL, held while rows are bound and built, leaves
little to overlap. A process has its own.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import shutil
import signal
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from lagesbild.errors import LagesbildError

PARALLEL_FROM_BYTES = 8 << 20  # a smaller CSV (~140,000 rows) is not worth a process
_AHEAD = 2  # prepared chunks waiting for the parent, at most
_SHM = "/dev/shm"
_LOAD_SLACK = 0.5  # load average above the other cores' count that still counts as free
_SAMPLES = 5  # looks at the running tasks (`_free_core`)


def available() -> bool:
    """Whether a chunk can be prepared in a forked child here (POSIX with fork, this process
    has no other thread) and a core is free for it (`_free_core`). On a machine whose cores
    are busy with other work the two processes take turns on the same cores, and handing the
    chunks over makes the import slower, not faster (measured on 2 busy cores: 7.3 s against
    6.5 s for 300,000 rows)."""
    if not hasattr(os, "fork") or "fork" not in multiprocessing.get_all_start_methods():
        return False
    if threading.active_count() > 1:  # a fork copies only the calling thread: the web app's
        return False  # imports run on its thread pool and stay in one process
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) >= 2 and _free_core(cores or 1)


def _free_core(cores: int) -> bool:
    """Whether another core is idle now: the tasks running at this moment besides this
    process (`_running_tasks`, a few samples, their median) leave one of `cores` free. The
    one-minute load average, where that count is missing, is a poorer guide: it still counts
    work that has just ended, such as a previous import in a script or a benchmark."""
    try:
        samples = []
        for _ in range(_SAMPLES):
            samples.append(_running_tasks() - 1)
            time.sleep(0.001)
    except (OSError, ValueError, IndexError):
        return os.getloadavg()[0] <= cores - 1 + _LOAD_SLACK
    return sorted(samples)[len(samples) // 2] <= cores - 2


def _running_tasks() -> int:
    """The tasks running or ready to run on the machine now, this one among them (Linux)."""
    with open("/proc/loadavg") as fh:
        return int(fh.read().split()[3].split("/")[0])


def prepared_in_child(
    chunks: Callable[[], Iterable[Any]], prepare: Callable[[Any], Any], forget: Callable[[], None]
) -> Iterator[Any]:
    """`prepare(chunk)` for each chunk of `chunks()`, computed in a forked child, yielded in
    order in this process. `forget` runs first in the child (drop what it must not use). An
    error in the child is raised here, as it was raised there.

    Each prepared chunk is handed over as a pickle in a file of its own in shared memory (a
    pipe of 64 KiB moves 16 MB in 250 turns of the two processes, which on a busy machine cost
    more than the work); the pipe carries only its name. At most `_AHEAD` chunks are waiting."""
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    room = ctx.Semaphore(_AHEAD)
    folder = tempfile.mkdtemp(prefix="lagesbild-import-", dir=_SHM if os.path.isdir(_SHM) else None)
    child = ctx.Process(
        target=_produce, args=(sender, room, folder, chunks, prepare, forget), daemon=True
    )
    child.start()
    sender.close()
    try:
        while True:
            try:
                kind, payload = receiver.recv()
            except EOFError:
                raise LagesbildError(
                    "import: the reading process ended unexpectedly", "run the import again"
                ) from None
            if kind == "done":
                return
            if kind == "error":
                raise payload
            with open(payload, "rb") as fh:
                prepared = pickle.load(fh)
            os.unlink(payload)
            room.release()
            yield prepared
    finally:
        receiver.close()
        if child.is_alive():  # the parent stopped early (an error, Ctrl-C): stop the child
            child.kill()
        child.join()
        shutil.rmtree(folder, ignore_errors=True)


def _produce(sender, room, folder, chunks, prepare, forget) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # what the fork copied is never collected here: no finaliser of the parent's connections
    # (which could close, and checkpoint, the parent's SQLite file) runs in the child
    gc.freeze()
    try:
        forget()
        for n, chunk in enumerate(chunks()):
            prepared = prepare(chunk)
            room.acquire()
            path = os.path.join(folder, f"{n}.pickle")
            with open(path, "wb") as fh:
                _dump(prepared, fh)
            sender.send(("chunk", path))
        sender.send(("done", None))
    except BrokenPipeError:  # the parent stopped reading
        pass
    except BaseException as exc:  # noqa: BLE001 - every error goes to the parent
        sender.send(("error", _portable(exc)))
    finally:
        sender.close()


def _dump(prepared: Any, fh) -> None:
    """Pickle a prepared chunk without the pickler's memo (its "fast" mode). The memo keeps a
    dict entry for every object written, to write an object met again as a reference: for a
    chunk's ~230,000 values that was 80 % of the pickling (16 ms -> 3.4 ms per chunk of 19,000
    rows; 0.2 s of the reading process per 300,000 rows), to spare the repeats of a few
    texts (the file is 5 % larger). A chunk holds no cycle; were one there, the fast pickler
    refuses it (ValueError) and the chunk is written again with the memo."""
    start = fh.tell()
    pickler = pickle.Pickler(fh, protocol=pickle.HIGHEST_PROTOCOL)
    with contextlib.suppress(AttributeError):  # documented as deprecated: were it gone, the
        pickler.fast = True  # chunk is pickled with the memo, as before
    try:
        pickler.dump(prepared)
    except ValueError:
        fh.seek(start)
        fh.truncate()
        pickle.dump(prepared, fh, protocol=pickle.HIGHEST_PROTOCOL)


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling, else one that says the same."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any failure to pickle means: send a stand-in
        if isinstance(exc, LagesbildError):
            return LagesbildError(exc.message, exc.hint)
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return RuntimeError(text)
