"""The `lagesbild` command (and `python -m lagesbild`).

Loading the command's modules (SciPy, Arrow, GDAL) takes a second or two; Ctrl-C meanwhile has
done nothing yet, so it ends quietly like a Ctrl-C later (exit 130), not with a traceback."""

import logging
import os
import signal
import sys


def _quit_while_loading(signum: int, frame: object) -> None:
    # nothing is done yet, so leaving at once loses nothing; raising KeyboardInterrupt instead
    # is not enough: a C extension interrupted in its import (shapely's, on NumPy) prints its
    # own traceback and raises an ImportError that no longer says why
    os._exit(130)


def _not_an_interrupt(record: logging.LogRecord) -> bool:
    # a Ctrl-C that lands while SQLAlchemy closes a connection is logged by its pool with a
    # traceback, then raised on; the raise is what counts (exit 130), the traceback is noise
    return not (record.exc_info and isinstance(record.exc_info[1], KeyboardInterrupt))


def _interrupt_again(unraisable: "sys.UnraisableHookArgs") -> None:
    # a Ctrl-C that lands in a finaliser or weakref callback is printed as "Exception ignored"
    # and lost; deliver it again, to be raised at the next ordinary point (exit 130)
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)
        return
    sys.__unraisablehook__(unraisable)


def main() -> None:
    signal.signal(signal.SIGINT, _quit_while_loading)
    # only the handler of last resort (no logging configured: the CLI's case) is filtered
    logging.lastResort.addFilter(_not_an_interrupt)
    sys.unraisablehook = _interrupt_again
    from lagesbild.cli import main as run
    from lagesbild.cli.one_shot import end_now_if_asked

    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        run()
        end_now_if_asked(0)
    except SystemExit as exc:
        end_now_if_asked(exc.code)  # a command that ended well and asked for it ends here
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        # the work is done (or given up): a Ctrl-C during the interpreter's own shutdown would
        # otherwise meet the default action Python restores there and end the process with a
        # signal (-2) instead of its exit status
        signal.signal(signal.SIGINT, signal.SIG_IGN)


if __name__ == "__main__":
    main()
