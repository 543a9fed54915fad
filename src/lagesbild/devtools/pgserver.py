"""A throwaway PostgreSQL + PostGIS server for tests and benchmarks, started from the installed
Debian binaries (postgresql-15-postgis-3). PostgreSQL refuses to run as root, so as root the
server runs as the `postgres` user through `runuser`.

    with PgServer.start() as pg:
        url = pg.create_database("t1")   # postgresql+psycopg://lagesbild:...@127.0.0.1:PORT/t1
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

ROLE = "lagesbild"
PASSWORD = "lagesbild-test"


class PgUnavailable(RuntimeError):
    pass


def find_bindir() -> Path:
    if os.environ.get("LAGESBILD_PG_BINDIR"):
        return Path(os.environ["LAGESBILD_PG_BINDIR"])
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if not candidates:
        raise PgUnavailable(
            "no PostgreSQL server binaries (apt-get install postgresql-15-postgis-3)"
        )
    bindir = Path(candidates[-1]).parent
    version = bindir.parent.name
    if not glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"):
        raise PgUnavailable(f"PostGIS is not installed for PostgreSQL {version}")
    return bindir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    bindir: Path
    datadir: Path
    port: int
    as_postgres: bool

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    @classmethod
    def start(cls, durable: bool = False) -> PgServer:
        """`durable`: write as a production server does (fsync, synchronous commits, full page
        writes), for benchmarks; else those are off, as suits tests that throw the data away."""
        bindir = find_bindir()
        as_postgres = os.geteuid() == 0
        base = Path(tempfile.mkdtemp(prefix="lagesbild-pg-"))
        datadir = base / "data"
        server = cls(bindir, datadir, _free_port(), as_postgres)
        if as_postgres:
            shutil.chown(base, "postgres", "postgres")
            os.chmod(base, 0o700)
        server._run(
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-locale",
        )
        opts = f"-p {server.port} -k {base} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        result = server._run(
            str(bindir / "pg_ctl"),
            "-D",
            str(datadir),
            "-o",
            opts,
            "-l",
            str(base / "log"),
            "-w",
            "start",
            check=False,
        )
        if result.returncode != 0:
            log = (base / "log").read_text() if (base / "log").exists() else ""
            raise PgUnavailable(f"PostgreSQL did not start: {result.stderr}{log[-2000:]}")
        server.psql("postgres", f"CREATE ROLE {ROLE} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
        server.psql("postgres", "CREATE DATABASE lagesbild_template")
        server.psql("lagesbild_template", "CREATE EXTENSION postgis")
        return server

    def psql(self, db: str, sql: str) -> str:
        return self._run(
            str(self.bindir / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            db,
            "-v",
            "ON_ERROR_STOP=1",
            "-qAt",
            "-c",
            sql,
        ).stdout

    def url(self, db: str) -> str:
        return f"postgresql://{ROLE}:{PASSWORD}@127.0.0.1:{self.port}/{db}"

    def create_database(self, name: str | None = None) -> str:
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        self.psql("postgres", f"CREATE DATABASE {name} TEMPLATE lagesbild_template OWNER {ROLE}")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.psql("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.datadir),
            "-m",
            "immediate",
            "stop",
            check=False,
        )
        shutil.rmtree(self.datadir.parent, ignore_errors=True)

    def __enter__(self) -> PgServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
