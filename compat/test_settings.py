"""`weir serve` reads its settings as a user's shell, script or container leaves them: an empty
setting is unset, the default database follows $HOME, and a number that does not parse (or an
empty auth string) stops the server with a message naming it (instead of being ignored)."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from conftest import _free_port, _weir_bin


def _serve(env: dict) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "WEIR_"))}
    proc = subprocess.Popen([str(_weir_bin()), "serve", "--port", str(port)], env=base | env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}/api"


def _healthy(proc: subprocess.Popen, url: str) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            time.sleep(0.1)
    return False


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=15)


def test_empty_weir_home_and_settings_fall_back_to_home():
    home = Path(tempfile.mkdtemp(prefix="weir-settings-home-"))
    proc, url = _serve({"HOME": str(home), "WEIR_HOME": "", "PREFECT_SERVER_DATABASE_CONNECTION_URL": "",
                        "PREFECT_SERVER_API_HOST": "", "LOG_LEVEL": "", "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false"})
    try:
        assert _healthy(proc, url)
        assert (home / ".weir" / "weir.db").is_file()
        assert not Path("/weir.db").exists()
    finally:
        _stop(proc)


def test_a_number_that_does_not_parse_stops_the_server_with_its_name():
    home = tempfile.mkdtemp(prefix="weir-settings-bad-")
    for name, value in [("PREFECT_SERVER_API_PORT", ""), ("PREFECT_SERVER_API_DEFAULT_LIMIT", "lots"),
                        ("PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED", "maybe"),
                        # empty would otherwise mean "no auth": refused instead of serving unprotected
                        ("PREFECT_SERVER_API_AUTH_STRING", "")]:
        proc, _ = _serve({"HOME": home, name: value})
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode != 0 and name in out.decode(), (name, proc.returncode, out[-500:])
