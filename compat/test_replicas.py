"""Background work and several weir replicas on one database.

- The late-runs service marks a run that is still Scheduled past its start `Late`, once.
- Two weir processes on one PostgreSQL database behave as one server: clients spread over both,
  racing idempotent creates and state changes, leave exactly one run per idempotency key and every
  run with a history the policy could have produced step by step; when one replica stops, the other
  carries on, its background work included.
- A subscriber of one replica's /events/out sees the events another replica stores, live.
- While PostgreSQL is down weir answers 503 with Retry-After (the reference's retryable error),
  and serves again once the database is back, without a restart.

The replica and outage tests need PostgreSQL (WEIR_TEST_DATABASE_URL, which `scripts/test` sets
up); the outage test starts a private cluster of its own so it can stop it.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from conftest import REPO, _free_port, _weir_bin, fresh_database_url
from servers import _wait

POSTGRES = os.environ.get("WEIR_TEST_DATABASE_URL")
needs_postgres = pytest.mark.skipif(not POSTGRES, reason="needs PostgreSQL (WEIR_TEST_DATABASE_URL)")
LATE = {"PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "true", "PREFECT_SERVER_SERVICES_LATE_RUNS_LOOP_SECONDS": "0.5",
        "PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS": "1"}


class Weir:
    """A `weir serve` process on a given database."""

    def __init__(self, database_url: str, extra_env: dict | None = None):
        self.home = Path(tempfile.mkdtemp(prefix="weir-replica-"))
        self.log_path = self.home / "server.log"
        port = _free_port()
        env = dict(os.environ, WEIR_HOME=str(self.home), PREFECT_SERVER_DATABASE_CONNECTION_URL=database_url,
                   PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED="false")
        env.update(extra_env or {})
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([str(_weir_bin()), "serve", "--port", str(port)], env=env, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}/api"
        _wait(self.url, self.proc, self.log_path, 30)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.home, ignore_errors=True)


@contextlib.contextmanager
def replicas(count: int, extra_env: dict | None = None) -> Iterator[list[Weir]]:
    home = Path(tempfile.mkdtemp(prefix="weir-replicas-db-"))
    url = fresh_database_url(home)
    started: list[Weir] = []
    try:
        for _ in range(count):
            started.append(Weir(url, extra_env))
        yield started
    finally:
        for w in started:
            w.stop()
        shutil.rmtree(home, ignore_errors=True)


def ok(r: httpx.Response) -> dict:
    assert r.status_code in (200, 201), f"{r.request.method} {r.request.url} -> {r.status_code} {r.text}"
    return r.json()


def scheduled_in_past(http: httpx.Client, flow_id: str, seconds_ago: float) -> str:
    when = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=seconds_ago)).isoformat()
    run = ok(http.post("/flow_runs/", json={"flow_id": flow_id, "state": {"type": "SCHEDULED", "state_details": {"scheduled_time": when}}}))
    return run["id"]


def wait_for_state_name(http: httpx.Client, run_id: str, name: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = ok(http.get(f"/flow_runs/{run_id}"))
        if run["state_name"] == name or time.monotonic() > deadline:
            return run
        time.sleep(0.2)


def history(http: httpx.Client, run_id: str) -> list[dict]:
    return ok(http.get("/flow_run_states/", params={"flow_run_id": run_id}))


def assert_consistent(run: dict, states: list[dict]) -> None:
    """The run's bookkeeping agrees with its state history, step by step."""
    stamps = [s["timestamp"] for s in states]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps), stamps
    assert states[-1]["id"] == run["state_id"] and states[-1]["type"] == run["state_type"]
    running = [s for s in states if s["type"] == "RUNNING"]
    assert run["run_count"] == len(running)
    started = [s for s in states if s["type"] in ("RUNNING", "COMPLETED", "FAILED", "CANCELLED", "CRASHED")]
    if started:
        assert run["start_time"] is not None, [(s["type"], s["timestamp"]) for s in states]
        assert dt.datetime.fromisoformat(run["start_time"]) == dt.datetime.fromisoformat(started[0]["timestamp"]), [(s["type"], s["timestamp"]) for s in states]


def test_late_runs_service_marks_overdue_runs_once():
    with replicas(1, LATE) as [weir]:
        http = httpx.Client(base_url=weir.url, timeout=30)
        flow_id = ok(http.post("/flows/", json={"name": "late-flow"}))["id"]
        overdue = scheduled_in_past(http, flow_id, 30)
        future = ok(http.post("/flow_runs/", json={"flow_id": flow_id, "state": {"type": "SCHEDULED", "state_details": {
            "scheduled_time": (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()}}}))["id"]
        run = wait_for_state_name(http, overdue, "Late")
        assert (run["state_type"], run["state_name"]) == ("SCHEDULED", "Late")
        assert run["state"]["state_details"]["scheduled_time"] is not None
        time.sleep(1.5)
        assert [s["name"] for s in history(http, overdue)] == ["Scheduled", "Late"]
        assert ok(http.get(f"/flow_runs/{future}"))["state_name"] == "Scheduled"
        # A late run still starts normally.
        assert ok(http.post(f"/flow_runs/{overdue}/set_state", json={"state": {"type": "PENDING"}}))["status"] == "ACCEPT"


@needs_postgres
def test_two_replicas_behave_as_one_server():
    with replicas(2, LATE) as (a, b):
        clients = [httpx.Client(base_url=w.url, timeout=60) for w in (a, b)]
        flow_id = ok(clients[0].post("/flows/", json={"name": "replicated"}))["id"]
        assert ok(clients[1].post("/flows/", json={"name": "replicated"}))["id"] == flow_id

        keys = [f"key-{i}" for i in range(12)]
        choices = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "RUNNING", "CANCELLING", "CANCELLED", "SCHEDULED"]

        def worker(n: int) -> list[str]:
            http = httpx.Client(base_url=(a, b)[n % 2].url, timeout=60)
            seen = []
            for step in range(24):
                run = ok(http.post("/flow_runs/", json={"flow_id": flow_id, "idempotency_key": keys[(n + step) % len(keys)],
                                                        "state": {"type": "PENDING"}}))
                seen.append(run["id"])
                state = choices[(n * 5 + step * 3) % len(choices)]
                r = http.post(f"/flow_runs/{run['id']}/set_state", json={"state": {"type": state}, "force": step % 4 == 0})
                assert r.status_code in (200, 201), r.text
            return seen

        with cf.ThreadPoolExecutor(8) as pool:
            seen = {run_id for ids in pool.map(worker, range(8)) for run_id in ids}

        assert ok(clients[0].post("/flow_runs/count", json={})) == len(keys)
        assert len(seen) == len(keys)
        for client in clients:
            runs = ok(client.post("/flow_runs/filter", json={}))
            assert sorted(r["idempotency_key"] for r in runs) == sorted(keys)
        for run_id in seen:
            run = ok(clients[1].get(f"/flow_runs/{run_id}"))
            assert_consistent(run, history(clients[0], run_id))

        # Background work runs across the replicas, once per run; stopping one leaves it running.
        first = scheduled_in_past(clients[0], flow_id, 30)
        assert wait_for_state_name(clients[1], first, "Late")["state_name"] == "Late"
        a.stop()
        offset = len(b.log())
        second = scheduled_in_past(clients[1], flow_id, 30)
        assert wait_for_state_name(clients[1], second, "Late")["state_name"] == "Late"
        time.sleep(1.5)
        for run_id in (first, second):
            assert [s["name"] for s in history(clients[1], run_id)] == ["Scheduled", "Late"]
        # b marked it (with any of the workers' SCHEDULED runs that fell late in the same pass).
        assert re.search(r"marked \d+ flow runs late", b.log()[offset:])


@needs_postgres
def test_database_outage_answers_503_then_recovers():
    pgdir = Path(tempfile.mkdtemp(prefix="weir-outage-pg-"))
    try:
        url = subprocess.run([str(REPO / "scripts" / "postgres"), "start", str(pgdir)], check=True, capture_output=True, text=True).stdout.strip()
        weir = Weir(url)
        try:
            http = httpx.Client(base_url=weir.url, timeout=30)
            flow_id = ok(http.post("/flows/", json={"name": "outage"}))["id"]
            subprocess.run([str(REPO / "scripts" / "postgres"), "down", str(pgdir)], check=True)
            down = http.post("/flow_runs/", json={"flow_id": flow_id})
            assert down.status_code == 503, down.text
            assert down.json() == {"exception_message": "Service Unavailable"}
            assert down.headers.get("retry-after") == "5"
            assert http.post("/flow_runs/filter", json={}).status_code == 503
            subprocess.run([str(REPO / "scripts" / "postgres"), "up", str(pgdir)], check=True)
            deadline = time.monotonic() + 30
            while True:
                r = http.post("/flow_runs/", json={"flow_id": flow_id})
                if r.status_code == 201 or time.monotonic() > deadline:
                    break
                assert r.status_code == 503, r.text
                time.sleep(0.5)
            assert r.status_code == 201, r.text
            assert ok(http.post("/flow_runs/count", json={})) == 1
            assert "unhandled error" not in weir.log()
        finally:
            weir.stop()
    finally:
        subprocess.run([str(REPO / "scripts" / "postgres"), "stop", str(pgdir)], check=False)
        shutil.rmtree(pgdir, ignore_errors=True)


async def _watch_other_replica(a: Weir, b: Weir, run_id: str) -> list[dict]:
    """Subscribes to `b`'s /events/out, changes the run's state through `a`, returns the frames."""
    import asyncio
    import json

    import websockets

    now = dt.datetime.now(dt.timezone.utc)
    async with websockets.connect(b.url.replace("http://", "ws://") + "/events/out", subprotocols=["prefect"]) as ws:
        await ws.send(json.dumps({"type": "auth", "token": None}))
        assert json.loads(await ws.recv()) == {"type": "auth_success"}
        await ws.send(json.dumps({"type": "filter", "filter": {
            "occurred": {"since": (now - dt.timedelta(minutes=1)).isoformat(), "until": (now + dt.timedelta(days=1)).isoformat()},
            "event": {"prefix": ["prefect.flow-run."]}, "resource": {"id": [f"prefect.flow-run.{run_id}"]}, "order": "DESC"}}))
        await asyncio.sleep(0.3)
        r = await asyncio.to_thread(httpx.post, f"{a.url}/flow_runs/{run_id}/set_state", json={"state": {"type": "RUNNING"}})
        assert r.status_code == 201, r.text
        frames = []
        while len(frames) < 2:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=10)))
        return frames


@needs_postgres
def test_events_of_one_replica_stream_to_subscribers_of_another():
    import asyncio

    with replicas(2) as (a, b):
        flow_id = ok(httpx.post(f"{a.url}/flows/", json={"name": "relayed"}))["id"]
        run = ok(httpx.post(f"{a.url}/flow_runs/", json={"flow_id": flow_id}))
        frames = asyncio.run(_watch_other_replica(a, b, run["id"]))
        assert [f["event"]["event"] for f in frames] == ["prefect.flow-run.Pending", "prefect.flow-run.Running"]  # backfill, then live
        assert frames[1]["event"]["follows"] == frames[0]["event"]["id"]
