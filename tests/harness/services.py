"""Throwaway PostgreSQL and Redis servers for the tests (one of each per session: tests/conftest.py), the
benchmark and the chaos run.

Both come from Debian's packages (`apt-get install postgresql redis-server`), run in a temporary
directory on a free loopback port and leave nothing behind; the system services are never used.
PostgreSQL refuses to run as root, so as root its commands run as the `postgres` user (created by the
package) through `runuser`.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, NoReturn, Optional, Sequence

from tests.harness.stack import free_port

INSTALL_HINT = "apt-get install -y postgresql redis-server"


class ServiceUnavailable(RuntimeError):
    """A server binary is not installed (tests skip on this locally and fail under CI)."""


def postgres_bin_dir() -> Optional[Path]:
    """Directory with initdb/postgres: the newest /usr/lib/postgresql/*/bin, else `initdb` on PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: [int(x) for x in Path(p).parent.name.split(".") if x.isdigit()],
    )
    for candidate in reversed(candidates):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "postgres").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    if initdb and (Path(initdb).resolve().parent / "postgres").exists():
        return Path(initdb).resolve().parent
    return None


def redis_server_bin() -> Optional[str]:
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.path.exists(p)), None
    )


def missing_binaries() -> List[str]:
    """What is missing to start PostgreSQL and Redis here (empty when both can start)."""
    missing = []
    if postgres_bin_dir() is None:
        missing.append("PostgreSQL server (initdb/postgres)")
    elif os.geteuid() == 0 and not _postgres_user_exists():
        missing.append("the 'postgres' user (PostgreSQL refuses to run as root)")
    if redis_server_bin() is None:
        missing.append("redis-server")
    return missing


def _postgres_user_exists() -> bool:
    import pwd

    try:
        pwd.getpwnam("postgres")
        return True
    except KeyError:
        return False


def _as_postgres_user(cmd: Sequence[str]) -> List[str]:
    """Run `cmd` as the postgres user when we are root (postgres refuses root), else as ourselves."""
    if os.geteuid() != 0:
        return list(cmd)
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *cmd]
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(_shell_quote(c) for c in cmd)]


def _shell_quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


def _wait_for(check, timeout: float, what: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    last_error: Optional[BaseException] = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited during start-up:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            check()
            return
        except Exception as error:  # not up yet
            last_error = error
            time.sleep(0.2)
    raise RuntimeError(f"{what} not ready after {timeout} s ({last_error}):\n{log.read_text(errors='replace')[-3000:]}")


@dataclass
class Postgres:
    """A running throwaway PostgreSQL server with one database and a password-protected user."""

    port: int
    user: str
    password: str
    dbname: str
    workdir: Path
    process: subprocess.Popen
    host: str = "127.0.0.1"

    def env(self) -> Dict[str, str]:
        """The variables endpoints.production.yml reads."""
        return {
            "DB_HOST": self.host,
            "DB_PORT": str(self.port),
            "DB_USER": self.user,
            "DB_PASSWORD": self.password,
            "DB_NAME": self.dbname,
        }

    def connect(self, dbname: Optional[str] = None):
        import psycopg2

        return psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=dbname or self.dbname,
            connect_timeout=5,
        )

    def query(self, sql: str, params: Sequence[Any] = ()) -> List[tuple]:
        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall() if cursor.description else []
        conn.close()
        return rows

    def create_database(self, name: str) -> None:
        conn = self.connect("postgres")
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        conn.close()

    def database(self, name: str) -> "Postgres":
        """The same server seen through a database of its own, created on first use: how test modules share
        one session server (tests/conftest.py) without seeing each other's tables. Stop, or restart, the
        server through the object that started it, not through this view."""
        if not self.query("SELECT 1 FROM pg_database WHERE datname = %s", (name,)):
            self.create_database(name)
        return dataclasses.replace(self, dbname=name)

    def stop(self) -> None:
        if self.process.poll() is None:
            # Signal the postmaster itself: as root, self.process is `runuser`, which waits for it.
            pid = self._postmaster_pid() or self.process.pid
            try:
                os.kill(pid, signal.SIGINT)  # "fast" shutdown
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(pid, signal.SIGQUIT)
                self.process.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _postmaster_pid(self) -> Optional[int]:
        try:
            return int((self.workdir / "data" / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None


def start_postgres(
    dbname: str = "rasa",
    user: str = "rasa",
    port: Optional[int] = None,
    settings: Optional[Dict[str, str]] = None,
    timeout: float = 60,
) -> Postgres:
    """initdb a cluster in a temp dir and start `postgres` on a free loopback port (password auth over TCP).

    `settings` are extra `-c name=value` server settings (e.g. max_connections).
    """
    bin_dir = postgres_bin_dir()
    if bin_dir is None or (os.geteuid() == 0 and not _postgres_user_exists()):
        raise ServiceUnavailable(f"PostgreSQL server binaries not found; install them with: {INSTALL_HINT}")
    workdir = Path(tempfile.mkdtemp(prefix="painfaq-pg-"))
    data = workdir / "data"
    password = secrets.token_hex(12)
    pwfile = workdir / "pwfile"
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
        shutil.chown(pwfile, "postgres", "postgres")
    pwfile.chmod(0o600)
    log = workdir / "postgres.log"
    initdb = subprocess.run(
        _as_postgres_user(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                user,
                f"--pwfile={pwfile}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if initdb.returncode != 0:
        shutil.rmtree(workdir, ignore_errors=True)
        raise RuntimeError(f"initdb failed:\n{initdb.stdout[-3000:]}")
    pwfile.unlink()
    port = port or free_port()
    options = {
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": str(workdir),
        "max_connections": "100",
        "logging_collector": "off",
        **(settings or {}),
    }
    log_handle = open(log, "wb")
    if os.geteuid() == 0:
        shutil.chown(log, "postgres", "postgres")
    args = [str(bin_dir / "postgres"), "-D", str(data)]
    for name, value in options.items():
        args += ["-c", f"{name}={value}"]
    process = subprocess.Popen(_as_postgres_user(args), stdout=log_handle, stderr=subprocess.STDOUT)
    log_handle.close()
    server = Postgres(port=port, user=user, password=password, dbname=dbname, workdir=workdir, process=process)
    try:
        _wait_for(lambda: server.connect("postgres").close(), timeout, "PostgreSQL", process, log)
        server.create_database(dbname)
    except BaseException:
        server.stop()
        raise
    return server


@dataclass
class Redis:
    """A running throwaway Redis server (password required, no persistence)."""

    port: int
    password: str
    workdir: Path
    process: subprocess.Popen
    host: str = "127.0.0.1"
    db: int = 1

    def env(self) -> Dict[str, str]:
        """The variables endpoints.production.yml reads."""
        return {
            "REDIS_HOST": self.host,
            "REDIS_PORT": str(self.port),
            "REDIS_DB": str(self.db),
            "REDIS_PASSWORD": self.password,
        }

    def client(self):
        import redis

        return redis.Redis(host=self.host, port=self.port, password=self.password, db=self.db, socket_timeout=5)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_redis(port: Optional[int] = None, timeout: float = 30) -> Redis:
    binary = redis_server_bin()
    if binary is None:
        raise ServiceUnavailable(f"redis-server not found; install it with: {INSTALL_HINT}")
    workdir = Path(tempfile.mkdtemp(prefix="painfaq-redis-"))
    password = secrets.token_hex(12)
    port = port or free_port()
    log = workdir / "redis.log"
    log_handle = open(log, "wb")
    # The password goes in a config file, not on the command line (ps would show it).
    config = workdir / "redis.conf"
    config.write_text(
        f'port {port}\nbind 127.0.0.1\nprotected-mode yes\nsave ""\nappendonly no\ndaemonize no\n'
        f"dir {workdir}\nrequirepass {password}\n"
    )
    config.chmod(0o600)
    process = subprocess.Popen([binary, str(config)], stdout=log_handle, stderr=subprocess.STDOUT, cwd=workdir)
    log_handle.close()
    server = Redis(port=port, password=password, workdir=workdir, process=process)
    try:
        _wait_for(lambda: server.client().ping(), timeout, "Redis", process, log)
    except BaseException:
        server.stop()
        raise
    return server


@dataclass
class Services:
    postgres: Postgres
    redis: Redis
    extra: Dict[str, str] = field(default_factory=dict)

    def env(self) -> Dict[str, str]:
        return {**self.postgres.env(), **self.redis.env(), **self.extra}

    def stop(self) -> None:
        for server in (self.redis, self.postgres):
            try:
                server.stop()
            except Exception:  # stop the other one too
                pass


def start_services(postgres_settings: Optional[Dict[str, str]] = None) -> Services:
    """Start PostgreSQL and Redis (raise ServiceUnavailable if either is not installed)."""
    missing = missing_binaries()
    if missing:
        raise ServiceUnavailable(f"missing: {', '.join(missing)}; install with: {INSTALL_HINT}")
    redis_server = start_redis()
    try:
        postgres = start_postgres(settings=postgres_settings)
    except BaseException:
        redis_server.stop()
        raise
    return Services(postgres=postgres, redis=redis_server)


def main() -> None:
    """`python -m tests.harness.services`: start throwaway PostgreSQL + Redis, print their variables, wait for Ctrl-C."""
    import sys

    services = start_services()
    # Wait for Ctrl-C / SIGTERM. The servers are started first: they would inherit the blocked mask.
    # A background job (`... &`) starts with SIGINT ignored, and an ignored signal never reaches sigwait.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    print("# throwaway PostgreSQL and Redis are up; in another shell:", flush=True)
    for name, value in services.env().items():
        print(f"export {name}={value}", flush=True)
    sys.stdout.flush()
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        services.stop()


if __name__ == "__main__":
    main()


def skip_or_fail(reason: str) -> NoReturn:
    """A test that needs PostgreSQL or Redis skips without them, but fails under CI (where they must run)."""
    import pytest

    message = f"{reason}. Install with: {INSTALL_HINT}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so these tests must run, not skip)", pytrace=False)
    pytest.skip(message)


def postgres_or_skip(dbname: str) -> "Postgres":
    """A throwaway PostgreSQL server (see skip_or_fail); the tests share one: tests/conftest.py."""
    try:
        return start_postgres(dbname=dbname)
    except ServiceUnavailable as error:
        skip_or_fail(f"PostgreSQL tests need a server: {error}")


def redis_or_skip() -> "Redis":
    """A throwaway Redis server (see skip_or_fail); the tests share one: tests/conftest.py."""
    try:
        return start_redis()
    except ServiceUnavailable as error:
        skip_or_fail(f"Redis tests need a server: {error}")
