"""Fixtures for the weir compat suite: a real `weir serve` and the real prefect 3.9.1 client.

The session starts one weir server on a free port with a fresh, temporary WEIR_HOME, points the
prefect client at it, and stops it with SIGTERM at the end (which must make it exit within 10 s:
that checks graceful shutdown).

Environment:
  WEIR_BIN              the weir executable (default: <repo>/.build/debug/weir)
  WEIR_COMPAT_API_URL   run against an already running server instead (e.g. a reference
                        `prefect server start`, to check the tests themselves); nothing is spawned
  WEIR_TEST_DATABASE_URL  a PostgreSQL server (postgresql://user@host:port/db): every weir the
                        suite starts gets a fresh database of its own on it instead of SQLite

The late-runs service is off in the servers the suite starts (as in the reference servers the
differential tests compare with), except where a test turns it on.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

# The client reads PREFECT_HOME when prefect is first imported, so isolate it before any import of
# prefect (conftest is imported before the test modules). Nothing may touch ~/.prefect.
_PREFECT_HOME = tempfile.mkdtemp(prefix="weir-compat-prefect-home-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
atexit.register(shutil.rmtree, _PREFECT_HOME, True)
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("PREFECT_API_KEY", None)
os.environ.setdefault("PREFECT_SERVER_ALLOW_EPHEMERAL_MODE", "false")

import httpx  # noqa: E402
import pytest  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 10.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _weir_bin() -> Path:
    path = Path(os.environ.get("WEIR_BIN") or REPO / ".build" / "debug" / "weir")
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.exit(f"weir binary not found or not executable: {path} (set WEIR_BIN)", returncode=2)
    return path


def fresh_database_url(home: Path) -> str:
    """A new, empty database for one weir: a PostgreSQL database on WEIR_TEST_DATABASE_URL's server
    when that is set, else an SQLite file under `home`."""
    base = os.environ.get("WEIR_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{home}/weir.db"
    name = f"weir_compat_{uuid.uuid4().hex[:16]}"
    subprocess.run(["psql", base, "-q", "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}"], check=True,
                   stdout=subprocess.DEVNULL)
    prefix, _, rest = base.partition("://")
    authority = rest.split("/", 1)[0]
    query = rest.split("?", 1)[1] if "?" in rest else ""
    return f"{prefix}://{authority}/{name}" + (f"?{query}" if query else "")


def weir_env(home: Path, **extra: str) -> dict:
    """The environment of a weir the suite starts: its home, its own database, and its background
    services off (as the reference the differential tests compare with runs none)."""
    env = dict(os.environ, WEIR_HOME=str(home), PREFECT_SERVER_DATABASE_CONNECTION_URL=fresh_database_url(home),
               PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED="false", PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
               PREFECT_SERVER_SERVICES_FOREMAN_ENABLED="false", PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED="false",
               PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_ENABLED="false")
    env.update(extra)
    return env


def _wait_healthy(url: str, proc: subprocess.Popen | None, log_path: Path | None) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            log = log_path.read_text(errors="replace") if log_path else ""
            pytest.exit(f"weir exited early with code {proc.returncode}:\n{log}", returncode=2)
        try:
            r = httpx.get(f"{url}/health", timeout=2.0)
            if r.status_code == 200:
                return
        except httpx.HTTPError as e:
            last_error = e
        time.sleep(0.1)
    log = log_path.read_text(errors="replace") if log_path else ""
    if proc is not None:
        proc.kill()
        proc.wait()
    pytest.exit(
        f"{url}/health did not answer within {STARTUP_TIMEOUT:.0f}s ({last_error!r}):\n{log}",
        returncode=2,
    )


@pytest.fixture(scope="session")
def weir_server():
    """Runs `weir serve`; yields its API URL. Teardown: SIGTERM, then it must exit within 10 s."""
    external = os.environ.get("WEIR_COMPAT_API_URL")
    if external:
        url = external.rstrip("/")
        _wait_healthy(url, None, None)
        yield url
        return

    binary = _weir_bin()
    home = Path(tempfile.mkdtemp(prefix="weir-compat-home-"))
    log_path = home / "server.log"
    port = _free_port()
    env = weir_env(home)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(binary), "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}/api"
    os.environ["WEIR_COMPAT_SERVER_LOG"] = str(log_path)
    try:
        _wait_healthy(url, proc, log_path)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=SHUTDOWN_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                pytest.fail(
                    f"weir did not exit within {SHUTDOWN_TIMEOUT:.0f}s of SIGTERM:\n"
                    + log_path.read_text(errors="replace")
                )
            if proc.returncode != 0:
                pytest.fail(
                    f"weir exited with code {proc.returncode} after SIGTERM (expected 0):\n"
                    + log_path.read_text(errors="replace")
                )
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def api_url(weir_server):
    """The API URL, with the prefect client settings pointed at it for the whole session."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: weir_server}):
        yield weir_server


@pytest.fixture(scope="session")
def client(api_url):
    """A prefect `SyncPrefectClient` (get_client(sync_client=True)) talking to weir, unchanged."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as c:
        yield c


@pytest.fixture
def raw_client(api_url):
    """A SyncPrefectClient whose requests go out exactly as the client serializes them."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as c:
        yield c


@pytest.fixture
def async_client(api_url):
    """Factory for the async PrefectClient; use inside a coroutine run with asyncio.run()."""
    from prefect.client.orchestration import get_client

    return get_client


@pytest.fixture(scope="session")
def http(api_url):
    """A plain httpx client with base_url = the API URL."""
    with httpx.Client(base_url=api_url + "/", timeout=10.0) as c:
        yield c


@pytest.fixture
def uniq() -> str:
    """A short unique suffix for names and tags."""
    return uuid.uuid4().hex[:10]
