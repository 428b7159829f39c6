"""Real flows with the unchanged SDK against weir: each scenario runs in its own process and its
outcome is checked through the API (runs, task runs, states, logs), not just the exit code. The
server's request log must show no failed API calls (the SDK treats some as fatal or drops data).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

SCENARIOS = Path(__file__).parent / "flows" / "scenarios.py"


def server_log_size() -> int:
    path = os.environ.get("WEIR_COMPAT_SERVER_LOG")
    return Path(path).stat().st_size if path and Path(path).exists() else 0


def failed_requests_since(offset: int) -> list[str]:
    """Non-2xx answers in weir's access log after `offset` (the CSRF probe's 422 is by design)."""
    path = os.environ.get("WEIR_COMPAT_SERVER_LOG")
    if not path:
        return []
    with open(path, "rb") as f:
        f.seek(offset)
        lines = f.read().decode(errors="replace").splitlines()
    return [l for l in lines if (" warning " in l or " error " in l) and "/api/" in l and "/csrf-token" not in l]


def run_scenario(api_url: str, name: str) -> tuple[str, dict]:
    tag = f"compat-{name}-{uuid.uuid4().hex[:8]}"
    log_offset = server_log_size()
    env = dict(os.environ, PREFECT_API_URL=api_url, PREFECT_RESULTS_PERSIST_BY_DEFAULT="false")
    proc = subprocess.run([sys.executable, str(SCENARIOS), name, tag], env=env, capture_output=True, text=True, timeout=240, cwd=SCENARIOS.parent)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
    assert lines, f"no result (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    problems = [l for l in proc.stderr.splitlines() if "Error logging to API" in l or "Unable to connect" in l or "task run data may be lost" in l or "HTTPStatusError" in l]
    assert not problems, "\n".join(problems)
    failed = failed_requests_since(log_offset)
    assert not failed, "weir answered non-2xx:\n" + "\n".join(failed)
    return tag, json.loads(lines[-1][len("RESULT "):])


def runs(http: httpx.Client, tag: str) -> list[dict]:
    r = http.post("/flow_runs/filter", json={"flow_runs": {"tags": {"all_": [tag]}}, "sort": "EXPECTED_START_TIME_ASC"})
    assert r.status_code == 200
    return r.json()


def task_runs(http: httpx.Client, run_id: str) -> list[dict]:
    r = http.post("/task_runs/filter", json={"flow_runs": {"id": {"any_": [run_id]}}, "sort": "EXPECTED_START_TIME_ASC"})
    assert r.status_code == 200
    return r.json()


def test_basic_flow_records_tasks_and_logs(api_url, http):
    tag, out = run_scenario(api_url, "basic")
    assert out == {"ok": 9}
    [run] = runs(http, tag)
    assert (run["state_type"], run["run_count"]) == ("COMPLETED", 1)
    tasks = task_runs(http, run["id"])
    assert sorted(t["task_key"].split("-")[0] for t in tasks) == ["add", "mul"]
    assert all(t["state_type"] == "COMPLETED" and t["run_count"] == 1 for t in tasks)
    states = http.get("/task_run_states/", params={"task_run_id": tasks[0]["id"]}).json()
    assert [s["type"] for s in states] == ["PENDING", "RUNNING", "COMPLETED"]
    # Read Flow Runs finds the run through its task runs too.
    found = http.post("/flow_runs/filter", json={"task_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}, "flow_runs": {"tags": {"all_": [tag]}}}).json()
    assert [r["id"] for r in found] == [run["id"]]
    logs = http.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [run["id"]]}}}).json()
    messages = [l["message"] for l in logs]
    assert "result is 9" in messages and "printed 9" in messages


def test_failing_flow_fails(api_url, http):
    tag, out = run_scenario(api_url, "failing")
    assert out["error"].startswith("ValueError: boom")
    [run] = runs(http, tag)
    assert run["state_type"] == "FAILED"
    assert [t["state_type"] for t in task_runs(http, run["id"])] == ["COMPLETED"]


def test_flow_retries_then_succeeds(api_url, http):
    tag, out = run_scenario(api_url, "flaky")
    assert out == {"ok": 2}
    [run] = runs(http, tag)
    assert (run["state_type"], run["run_count"]) == ("COMPLETED", 2)
    names = [s["name"] for s in http.get("/flow_run_states/", params={"flow_run_id": run["id"]}).json()]
    assert names[:3] == ["Pending", "Running", "AwaitingRetry"] and names[-1] == "Completed"


def test_subflow_links_to_its_parent_task_run(api_url, http):
    tag, out = run_scenario(api_url, "parent")
    assert out == {"ok": 16}
    flow_runs = runs(http, tag)
    assert len(flow_runs) == 2
    child = next(r for r in flow_runs if r["parent_task_run_id"])
    parent = next(r for r in flow_runs if not r["parent_task_run_id"])
    wrapper = http.get(f"/task_runs/{child['parent_task_run_id']}").json()
    assert wrapper["flow_run_id"] == parent["id"] and wrapper["state_type"] == "COMPLETED"
    assert http.post("/flow_runs/filter", json={"flow_runs": {"parent_flow_run_id": {"any_": [parent["id"]]}}}).json()[0]["id"] == child["id"]


def test_cached_task_runs_once(api_url, http):
    tag, out = run_scenario(api_url, "cached")
    assert out == {"ok": 1400}
    [run] = runs(http, tag)
    names = sorted(t["state_name"] for t in task_runs(http, run["id"]))
    assert names == ["Cached", "Completed"]


@pytest.mark.parametrize("name,count", [("threaded", 4), ("processes", 3)])
def test_concurrent_flows(api_url, http, name, count):
    tag, out = run_scenario(api_url, name)
    assert sorted(out["ok"]) == [i * 2 for i in range(count)]
    flow_runs = runs(http, tag)
    assert len(flow_runs) == count and all(r["state_type"] == "COMPLETED" for r in flow_runs)
    for r in flow_runs:
        assert [t["state_type"] for t in task_runs(http, r["id"])] == ["COMPLETED"]
