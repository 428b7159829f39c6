"""Deployments that run, end to end with the unchanged SDK, CLI, runner and process worker
(client-contract.md §4): a `flow.serve()` deployment started with `prefect deployment run`
completes and is paused when the runner stops; a `from_source(...).deploy()` deployment in a
process work pool is picked up by `prefect worker start --run-once` and completes; a served run
cancelled with `prefect flow-run cancel` is killed and ends Cancelled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

PREFECT = str(Path(sys.executable).with_name("prefect"))

FLOW = textwrap.dedent(
    """
    import sys, time
    from prefect import flow

    @flow(log_prints=True)
    def e2e_flow(x: int = 1, sleep: float = 0):
        time.sleep(sleep)
        print(f"ran with {x}")
        return x * 2

    if __name__ == "__main__":
        e2e_flow.serve(name=sys.argv[1])
    """
)


# Slow (a runner or worker process and flow subprocesses): run on SQLite only; the polling queries
# they exercise are compared with the reference on both databases in test_deployments_differential.
sqlite_only = pytest.mark.skipif(bool(os.environ.get("WEIR_TEST_DATABASE_URL")), reason="end to end on one database")


def _env(api_url: str, home: Path) -> dict:
    return dict(os.environ, PREFECT_API_URL=api_url, PREFECT_HOME=str(home), PREFECT_RESULTS_PERSIST_BY_DEFAULT="false")


def _wait(http: httpx.Client, run_id: str, types: set[str], timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = http.get(f"/flow_runs/{run_id}").json()
        if run["state_type"] in types or time.monotonic() > deadline:
            return run
        time.sleep(0.5)


def _logged(http: httpx.Client, run_id: str, text: str, timeout: float = 30) -> bool:
    """Whether the run's logs show `text` (they are sent in batches, after the final state)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = http.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [run_id]}}}).json()
        if any(text in l["message"] for l in logs):
            return True
        time.sleep(0.5)
    return False


def _deployment_run(env: dict, name: str, *params: str) -> str:
    args = [PREFECT, "deployment", "run", name]
    for p in params:
        args += ["-p", p]
    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return next(l.split("UUID:")[1].strip() for l in out.stdout.splitlines() if "UUID:" in l)


@sqlite_only
def test_served_deployment_runs_and_is_paused_on_stop(api_url, http, uniq, tmp_path):
    (tmp_path / "flow.py").write_text(FLOW)
    env = _env(api_url, tmp_path / "home")
    dep = f"served-{uniq}"
    runner = subprocess.Popen([sys.executable, "flow.py", dep], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while http.get(f"/deployments/name/e2e-flow/{dep}").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        deployment = http.get(f"/deployments/name/e2e-flow/{dep}").json()
        run_id = _deployment_run(env, f"e2e-flow/{dep}", "x=21")
        run = _wait(http, run_id, {"COMPLETED", "FAILED", "CRASHED"})
        assert run["state_type"] == "COMPLETED", run["state"]
        assert run["parameters"] == {"x": 21} and run["deployment_id"] == deployment["id"]
        assert _logged(http, run_id, "ran with 21")
        polled = http.get(f"/deployments/{deployment['id']}").json()
        assert polled["status"] == "READY" and polled["last_polled"] is not None  # the runner's poll marks it
        # A long run cancelled from the CLI: the runner kills it and the run ends Cancelled.
        slow = _deployment_run(env, f"e2e-flow/{dep}", "sleep=120")
        assert _wait(http, slow, {"RUNNING"})["state_type"] == "RUNNING"
        out = subprocess.run([PREFECT, "flow-run", "cancel", slow], env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        assert _wait(http, slow, {"CANCELLED", "COMPLETED", "FAILED", "CRASHED"})["state_type"] == "CANCELLED"
    finally:
        runner.send_signal(signal.SIGTERM)
        try:
            output, _ = runner.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            runner.kill()
            output, _ = runner.communicate()
    assert "Invalid filter" not in output and "Traceback" not in output, output[-3000:]
    assert http.get(f"/deployments/{deployment['id']}").json()["paused"] is True  # PATCH {"paused": true} on shutdown


@sqlite_only
def test_process_worker_runs_a_deployment(api_url, http, uniq, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "flow.py").write_text(FLOW)
    env = _env(api_url, tmp_path / "home")
    pool = f"pool-{uniq}"
    out = subprocess.run([PREFECT, "work-pool", "create", pool, "--type", "process"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    deploy = f"from prefect import flow\nflow.from_source(source={str(src)!r}, entrypoint='flow.py:e2e_flow').deploy(name='w-{uniq}', work_pool_name={pool!r}, parameters={{'x': 4}})\n"
    out = subprocess.run([sys.executable, "-c", deploy], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    run_id = _deployment_run(env, f"e2e-flow/w-{uniq}")
    worker = subprocess.run([PREFECT, "worker", "start", "--pool", pool, "--run-once"], env=env, capture_output=True, text=True, timeout=180)
    assert worker.returncode == 0, worker.stdout[-3000:] + worker.stderr[-3000:]
    run = _wait(http, run_id, {"COMPLETED", "FAILED", "CRASHED"}, timeout=30)
    assert run["state_type"] == "COMPLETED", run["state"]
    assert run["parameters"] == {"x": 4} and run["work_pool_name"] == pool and run["work_queue_name"] == "default"
    assert run["labels"]["prefect.worker.type"] == "process" and run["infrastructure_pid"]
    workers = http.post(f"/work_pools/{pool}/workers/filter", json={}).json()
    assert len(workers) == 1 and workers[0]["name"].startswith("ProcessWorker")
    assert http.get(f"/work_pools/{pool}").json()["status"] == "READY"
    assert _logged(http, run_id, "ran with 4")


FOREMAN = {"PREFECT_SERVER_SERVICES_FOREMAN_ENABLED": "true", "PREFECT_SERVER_SERVICES_FOREMAN_LOOP_SECONDS": "0.5",
           "PREFECT_SERVER_SERVICES_FOREMAN_INACTIVITY_HEARTBEAT_MULTIPLE": "1",
           "PREFECT_SERVER_SERVICES_FOREMAN_DEPLOYMENT_LAST_POLLED_TIMEOUT_SECONDS": "2",
           "PREFECT_SERVER_SERVICES_FOREMAN_WORK_QUEUE_LAST_POLLED_TIMEOUT_SECONDS": "2"}


def test_readiness_follows_polls_and_heartbeats_and_the_foreman_takes_it_back(uniq):
    """A heartbeat makes a pool READY, a poll its queues and their deployments; when the worker
    stops (heartbeat interval 1 s) the foreman marks it OFFLINE and the pool, queue and deployment
    NOT_READY; every change of status is an event shaped as the reference's."""
    from servers import weir_server_process

    with weir_server_process(**FOREMAN) as url, httpx.Client(base_url=url, timeout=30) as h:
        pool = f"fm-{uniq}"
        assert h.post("/work_pools/", json={"name": pool, "type": "process"}).status_code == 201
        flow = h.post("/flows/", json={"name": f"fm-{uniq}"}).json()
        dep = h.post("/deployments/", json={"name": "d", "flow_id": flow["id"], "work_pool_name": pool}).json()
        assert (dep["status"], h.get(f"/work_pools/{pool}").json()["status"]) == ("NOT_READY", "NOT_READY")
        assert h.post(f"/work_pools/{pool}/workers/heartbeat", json={"name": "w", "heartbeat_interval_seconds": 1}).status_code == 204
        assert h.post(f"/work_pools/{pool}/get_scheduled_flow_runs", json={}).status_code == 200
        queue = h.post(f"/work_pools/{pool}/queues/filter", json={}).json()[0]
        assert (h.get(f"/work_pools/{pool}").json()["status"], queue["status"], h.get(f"/deployments/{dep['id']}").json()["status"]) == (
            "READY", "READY", "READY")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            statuses = (h.get(f"/work_pools/{pool}").json()["status"], h.post(f"/work_pools/{pool}/queues/filter", json={}).json()[0]["status"],
                        h.get(f"/deployments/{dep['id']}").json()["status"])
            if statuses == ("NOT_READY",) * 3:
                break
            time.sleep(0.5)
        assert statuses == ("NOT_READY",) * 3
        workers = h.post(f"/work_pools/{pool}/workers/filter", json={"workers": {"status": {"any_": ["OFFLINE"]}}}).json()
        assert [w["name"] for w in workers] == ["w"]
        events = h.post("/events/filter", json={"filter": {"event": {"prefix": ["prefect.work-pool.", "prefect.work-queue.", "prefect.deployment."]},
                                                           "order": "ASC"}}).json()["events"]
        names = [e["event"] for e in events]
        for kind in ("work-pool", "work-queue", "deployment"):
            assert names.index(f"prefect.{kind}.ready") < names.index(f"prefect.{kind}.not-ready"), names
        ready = next(e for e in events if e["event"] == "prefect.deployment.ready")
        assert ready["resource"] == {"prefect.resource.id": f"prefect.deployment.{dep['id']}", "prefect.resource.name": "d"}
        assert [r["prefect.resource.role"] for r in ready["related"]] == ["flow", "work-queue", "work-pool"]
        queue_event = next(e for e in events if e["event"] == "prefect.work-queue.not-ready")
        assert queue_event["resource"]["prefect.resource.role"] == "work-queue"
        assert queue_event["related"][0]["prefect.work-pool.type"] == "process"
