"""The `lagesbild` command (and `python -m lagesbild`).

Loading the command's modules (SciPy, Arrow, GDAL) takes a second or two; Ctrl-C meanwhile has
done nothing yet, so it ends quietly like a Ctrl-C later (exit 130), not with a traceback."""

import sys


def main() -> None:
    try:
        from lagesbild.cli import main as run

        run()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
