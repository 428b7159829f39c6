"""Starting throwaway servers for the differential tests: a fresh `weir serve`, and the reference
`prefect server start` (prefect 3.9.1 from this virtualenv, SQLite, background services and UI off
so nothing changes the data behind the test's back). Each gets its own temporary home and port.

WEIR_REFERENCE_URL points the tests at an already running reference instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from conftest import _free_port, _weir_bin, weir_env


def _wait(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited early ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    proc.kill()
    pytest.fail(f"{url} not healthy within {timeout}s:\n{log.read_text(errors='replace')[-3000:]}")


@contextlib.contextmanager
def _server(cmd: list[str], env: dict | None, timeout: float, weir_extra: dict | None = None) -> Iterator[str]:
    """`env` None: a weir's environment (its own database, see conftest.weir_env) plus `weir_extra`."""
    home = Path(tempfile.mkdtemp(prefix="weir-diff-"))
    log = home / "server.log"
    port = _free_port()
    if env is None:
        full_env = weir_env(home, **(weir_extra or {}))
    else:
        full_env = dict(os.environ, **{k: v.replace("{home}", str(home)) for k, v in env.items()})
    with open(log, "wb") as out:
        proc = subprocess.Popen([c.replace("{port}", str(port)) for c in cmd], env=full_env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/api"
        _wait(url, proc, log, timeout)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def reference_server(recorder: bool = False, scheduler: bool = False) -> Iterator[str]:
    """The reference server's API URL for the duration of the block. With `recorder`, the services
    that record events and task runs run too (the ones that change runs behind a test's back stay off);
    with `scheduler`, its scheduler runs as well, on a one-second loop."""
    external = os.environ.get("WEIR_REFERENCE_URL")
    if external:
        yield external.rstrip("/")
        return
    prefect = str(Path(sys.executable).parent / "prefect")
    services = ["--no-scheduler", "--no-late-runs"] if recorder else ["--no-services"]
    if scheduler:
        services = ["--no-late-runs"]
        recorder = True
    env = {"PREFECT_HOME": "{home}/prefect", "PREFECT_SERVER_DATABASE_CONNECTION_URL": "sqlite+aiosqlite:///{home}/ref.db",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_UI_ENABLED": "false"}
    if recorder:
        for service in ["CANCELLATION_CLEANUP", "PAUSE_EXPIRATIONS", "FOREMAN", "TRIGGERS", "REPOSSESSOR"]:
            env[f"PREFECT_SERVER_SERVICES_{service}_ENABLED"] = "false"
    if scheduler:
        env["PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS"] = "1"
        env["PREFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS"] = "1"
    with _server(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", "{port}", "--no-ui", "--analytics-off", *services],
        env,
        timeout=180,
    ) as url:
        yield url


@contextlib.contextmanager
def weir_server_process(**env: str) -> Iterator[str]:
    """A fresh weir's API URL for the duration of the block; `env` adds settings."""
    with _server([str(_weir_bin()), "serve", "--port", "{port}"], None, timeout=30, weir_extra=env) as url:
        yield url
