"""The README's two set-up commands, run as a new user runs them. `make run` is run for real
(install, init, demo, serve) against a temporary SQLite file and a free port; `make test` is
what CI runs, so here it is only checked to be there and to call pytest."""

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Set-up on a fresh machine", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.strip().splitlines()]


def test_readme_has_exactly_two_setup_commands():
    assert setup_commands() == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test:.*\n(\t.*\n)*\t.*pytest", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_make_run_serves_the_demo(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    env = {k: v for k, v in os.environ.items() if k != "LAGESBILD_DB"}
    proc = subprocess.Popen(
        ["make", "run", f"PORT={port}", f"DB={db}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 300
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None:
                    raise AssertionError(proc.stdout.read().decode()[-3000:]) from None
                assert time.time() < deadline, "make run did not serve within 5 minutes"
                time.sleep(0.5)
        assert health.json()["status"] == "ok"
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10).text
        assert "Sergels torg" in page and " ha" in page
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
