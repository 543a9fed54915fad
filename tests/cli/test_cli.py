"""The command line as a user runs it: real processes, exit codes, one-line errors."""

import os
import subprocess
import sys

import pytest


def run(*args: str, db: str | None = None, check: bool = False) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "LAGESBILD_DB"}
    if db:
        env["LAGESBILD_DB"] = db
    r = subprocess.run(
        [sys.executable, "-m", "lagesbild", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert r.returncode == 0, r.stderr
    return r


def test_help_everywhere():
    for cmd in ([], ["init"], ["info"], ["places"], ["demo"], ["serve"]):
        r = run(*cmd, "--help")
        assert r.returncode == 0 and "Usage" in r.stdout


def test_version_needs_no_command():
    from lagesbild import __version__

    r = run("--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"lagesbild {__version__}"


def test_init_info_places(store_url):
    r = run("init", "--db", store_url, "--crs", "EPSG:3006", check=True)
    assert "Store ready" in r.stdout and "EPSG:3006" in r.stdout
    r = run("--db", store_url, "info", check=True)
    assert "Europe/Stockholm" in r.stdout and "crimes" in r.stdout
    r = run("places", db=store_url, check=True)
    assert "Platser" in r.stdout  # Swedish by default
    assert "Places" in run("places", "--lang", "en", db=store_url, check=True).stdout
    r = run("places", "--lang", "de", db=store_url)
    assert r.returncode == 2 and "expected sv or en" in r.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["info", "--db", "nonsense"], "not a database URL"),
        (["init", "--db", "sqlite:////no/such/dir/x.sqlite"], "does not exist"),
        (["init", "--db", "postgresql://u:pw@127.0.0.1:1/x"], "cannot reach the database"),
        (["init", "--crs", "EPSG:4326"], "not a projected CRS"),
        (["init", "--region", "1,2"], "minlon,minlat,maxlon,maxlat"),
        (["init", "--timezone", "Nowhere/Land"], "unknown time zone"),
    ],
)
def test_user_mistakes_give_one_clear_line(args, message, tmp_path):
    r = run(*args, db=f"sqlite:///{tmp_path / 's.sqlite'}")
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr + r.stdout
    if args[0] == "init":  # a refused init leaves no half-made store behind
        assert not (tmp_path / "s.sqlite").exists()


@pytest.mark.parametrize("args", [["info"], ["places"], ["audit"]])
def test_read_on_missing_store_leaves_no_file(tmp_path, args):
    r = run(*args, db=f"sqlite:///{tmp_path / 'x.sqlite'}")
    assert r.returncode == 2 and "run `lagesbild init` first" in r.stderr
    assert list(tmp_path.iterdir()) == []  # no empty store made by asking


def test_every_command_is_documented_in_the_readme():
    from pathlib import Path

    import typer.main

    from lagesbild import cli

    group = typer.main.get_command(cli.app)
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [name for name in group.commands if f"lagesbild {name}" not in readme]
    assert not missing, f"undocumented commands: {missing}"


def _rss_kb(pid: int) -> int:
    try:
        status = open(f"/proc/{pid}/status").read()
    except FileNotFoundError:  # ended meanwhile
        return 1 << 30
    line = next((x for x in status.splitlines() if x.startswith("VmRSS")), "VmRSS: 0 kB")
    return int(line.split()[1])


@pytest.mark.parametrize("after", [0.1, 0.8])
def test_ctrl_c_while_loading_ends_quietly(tmp_path, after):
    """Ctrl-C while the command's modules load (SciPy, Arrow: a second or two) has done nothing
    yet: exit 130 like a Ctrl-C later, and no traceback."""
    import signal
    import time

    env = {k: v for k, v in os.environ.items() if k != "LAGESBILD_DB"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lagesbild", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}", "init"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Python's own SIGINT handler first (before it, a signal ends any process, silently)
    status = f"/proc/{proc.pid}/status"
    while proc.poll() is None:
        caught = next(x for x in open(status).read().splitlines() if x.startswith("SigCgt"))
        if int(caught.split()[1], 16) & (1 << (signal.SIGINT - 1)):
            break
        time.sleep(0.01)
    # then until it loads the command's modules (a bare interpreter with its site holds about
    # 10 MB, the loaded command about 75 MB): a signal during the interpreter's own start-up
    # (site, .pth files; slow on a busy machine) is Python's, before any code of ours runs
    while proc.poll() is None and _rss_kb(proc.pid) < 20_000:
        time.sleep(0.005)
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    assert proc.returncode in (0, 130), (proc.returncode, err)  # 0: it was done already


def test_init_again_with_one_setting_keeps_the_others(tmp_path):
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    run("init", "--crs", "EPSG:27700", "--region", "-3,53,-1.5,54", db=db, check=True)
    r = run("init", "--timezone", "Europe/London", db=db, check=True)
    assert "EPSG:27700" in r.stdout and "-3,53,-1.5,54" in r.stdout
    assert "Europe/London" in r.stdout
