"""The `lagesbild` command (and `python -m lagesbild`).

Loading the command's modules (SciPy, Arrow, GDAL) takes a second or two; Ctrl-C meanwhile has
done nothing yet, so it ends quietly like a Ctrl-C later (exit 130), not with a traceback."""

import os
import signal
import sys


def _quit_while_loading(signum: int, frame: object) -> None:
    # nothing is done yet, so leaving at once loses nothing; raising KeyboardInterrupt instead
    # is not enough: a C extension interrupted in its import (shapely's, on NumPy) prints its
    # own traceback and raises an ImportError that no longer says why
    os._exit(130)


def main() -> None:
    signal.signal(signal.SIGINT, _quit_while_loading)
    from lagesbild.cli import main as run

    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        run()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
