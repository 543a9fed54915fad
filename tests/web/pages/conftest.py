"""Browser tests: a real server (`python -m lagesbild serve`) on a free port over a SQLite store
filled with the demo scenario, driven by Debian's headless Chromium through Playwright.

Without /usr/bin/chromium the browser tests are skipped outside CI; in CI (CI=true) that is an
error, so they can never silently not run there."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PASSWORD = "demo"
USERS = {  # the demo's users: name -> role
    "admin": "admin",
    "samordnare": "coordinator",
    "analytiker": "analyst",
    "falt": "field_reporter",
    "lasare": "viewer",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args: list[str], env: dict) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "lagesbild", *args], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr


class Server:
    def __init__(self, url: str, db_path: Path, db_url: str) -> None:
        self.url = url
        self.db_path = db_path
        self.db_url = db_url

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute(sql, params).fetchall()


@contextmanager
def serving(env: dict, *extra: str) -> Iterator[str]:
    """`lagesbild serve` on a free port with `env` (its store) until the block ends: the URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lagesbild", "serve", "--port", str(port), *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert proc.poll() is None, proc.stdout.read().decode()
        assert time.time() < deadline, "the server did not come up"
        time.sleep(0.2)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("pages") / "demo.sqlite"
    db_url = f"sqlite:///{db}"
    env = {**os.environ, "LAGESBILD_DB": db_url}
    env.pop("LAGESBILD_TILES", None)  # the map must work with no tiles
    _run(["init"], env)
    _run(["demo"], env)
    with serving(env) as url:
        yield Server(url, db, db_url)


@pytest.fixture(scope="module")  # closed after its module: Playwright's loop must not
def browser():  # outlive the browser tests (anyio tests elsewhere start their own loop)
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing in CI (install Debian's chromium package)")
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    yield ctx
    ctx.close()


@pytest.fixture
def phone(browser):
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="sv-SE",
    )
    yield ctx
    ctx.close()


def login(page, base: str, username: str, next_path: str = "/") -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}{next_path}*")


def wait_map(page, timeout: float = 30_000) -> None:
    page.wait_for_selector("#map[data-ready='1']", timeout=timeout)
