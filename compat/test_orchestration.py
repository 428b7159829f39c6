"""Differential test of orchestration: the same sequences of `set_state` calls sent to a fresh weir
and to the reference server must give the same HTTP status, result status, resulting state type and
name, reason, and the same bookkeeping fields afterwards.

Each scenario creates its own run (and flow run for task scenarios), so scenarios are independent.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import httpx
import pytest

from servers import reference_server, weir_server_process

RESULT = {"storage_key": "/tmp/result", "serializer": {"type": "pickle"}, "prefect_version": "3.9.1", "storage_block_id": None, "expiration": None}


def _iso(seconds_from_now: float) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds_from_now)).isoformat()


def S(type_: str, name: str | None = None, force: bool = False, **details) -> dict:
    """A step: propose a state (optionally forced) with state_details."""
    state: dict = {"type": type_}
    if name:
        state["name"] = name
    data = details.pop("data", None)
    if data is not None:
        state["data"] = data
    if details:
        state["state_details"] = details
    return {"state": state, "force": force}


def T(step: dict) -> dict:
    """The same step for the scenario's task run instead of its flow run."""
    return dict(step, target="task")


# name -> (initial flow run state, flow run policy, steps). Steps without target go to the flow run.
FLOW_SCENARIOS = {
    "pending-running-completed": ({"type": "PENDING"}, {}, [S("RUNNING"), S("COMPLETED")]),
    "scheduled-past-to-completed": ("past", {}, [S("PENDING"), S("RUNNING"), S("COMPLETED")]),
    "scheduled-future-waits": ("future", {}, [S("PENDING"), S("RUNNING")]),
    "retry-then-exhausted": ({"type": "PENDING"}, {"retries": 1, "retry_delay": 0}, [S("RUNNING"), S("FAILED"), S("RUNNING"), S("FAILED")]),
    "retry-with-delay-waits": ({"type": "PENDING"}, {"retries": 2, "retry_delay": 30}, [S("RUNNING"), S("FAILED"), S("RUNNING")]),
    "rerun-after-completed": ({"type": "PENDING"}, {}, [S("RUNNING"), S("COMPLETED"), S("RUNNING"), S("COMPLETED")]),
    "completed-with-result-stays": ({"type": "PENDING"}, {}, [S("RUNNING"), S("COMPLETED", data=RESULT), S("RUNNING"), S("PENDING")]),
    "completed-result-not-overwritten": ({"type": "PENDING"}, {}, [S("RUNNING"), S("COMPLETED", data=RESULT), S("COMPLETED")]),
    "failed-cannot-cancel": ({"type": "PENDING"}, {}, [S("RUNNING"), S("FAILED"), S("CANCELLING"), S("PAUSED"), S("CRASHED")]),
    "cancelled-to-pending-aborts": ({"type": "PENDING"}, {}, [S("CANCELLED"), S("PENDING"), S("RUNNING")]),
    "cancelling-only-to-cancelled": ({"type": "PENDING"}, {}, [S("RUNNING"), S("CANCELLING"), S("PENDING"), S("CRASHED"), S("CANCELLED")]),
    "cancel-scheduled-without-infra": ("future", {}, [S("CANCELLING")]),
    "cancel-running": ({"type": "PENDING"}, {}, [S("RUNNING"), S("CANCELLING"), S("CANCELLED", force=True)]),
    "pending-submitting": ({"type": "PENDING"}, {}, [S("PENDING", "Submitting"), S("PENDING", "Pending"), S("PENDING", "Submitting")]),
    "running-to-pending-aborts": ({"type": "PENDING"}, {}, [S("RUNNING"), S("PENDING")]),
    "running-twice": ({"type": "PENDING"}, {}, [S("RUNNING"), S("RUNNING"), S("COMPLETED")]),
    "duplicate-transition-id": ({"type": "PENDING"}, {}, [S("RUNNING", transition_id="11111111-1111-4111-8111-111111111111"), S("COMPLETED", transition_id="11111111-1111-4111-8111-111111111111")]),
    "mark-late-twice": ("past", {}, [S("SCHEDULED", "Late", scheduled_time="2020-01-01T00:00:00Z"), S("SCHEDULED", "Late", scheduled_time="2020-01-01T00:00:00Z")]),
    "late-only-when-scheduled": ({"type": "PENDING"}, {}, [S("RUNNING"), S("SCHEDULED", "Late")]),
    "completed-cannot-reschedule": ({"type": "PENDING"}, {}, [S("RUNNING"), S("COMPLETED"), S("SCHEDULED", "Late")]),
    "pause-resume-pause-same-key": ({"type": "PENDING"}, {}, [S("RUNNING"), S("PAUSED", pause_key="k1"), S("RUNNING"), S("PAUSED", pause_key="k1"), S("COMPLETED")]),
    "pause-when-not-running": ({"type": "PENDING"}, {}, [S("PAUSED", pause_key="k")]),
    "pause-expired": ({"type": "PENDING"}, {}, [S("RUNNING"), S("PAUSED", pause_key="k", pause_timeout="2020-01-01T00:00:00Z"), S("RUNNING")]),
    "paused-to-pending-rejected": ({"type": "PENDING"}, {}, [S("RUNNING"), S("PAUSED"), S("PENDING"), S("CANCELLING")]),
    "suspend-needs-deployment": ({"type": "PENDING"}, {}, [S("RUNNING"), S("PAUSED", "Suspended", pause_reschedule=True)]),
    "forced-rerun-of-persisted": ({"type": "PENDING"}, {}, [S("RUNNING"), S("COMPLETED", data=RESULT), S("RUNNING", force=True), S("COMPLETED", force=True)]),
    "forced-cancel-scheduled": ("future", {}, [S("CANCELLING", force=True)]),
    "crash-and-rerun": ({"type": "PENDING"}, {}, [S("RUNNING"), S("CRASHED"), S("RUNNING"), S("FAILED")]),
    "pending-straight-to-completed": ({"type": "PENDING"}, {}, [S("COMPLETED")]),
    "no-initial-state": (None, {}, [S("RUNNING"), S("COMPLETED")]),
    "task-runs-in-running-flow": ({"type": "PENDING"}, {}, [S("RUNNING"), T(S("RUNNING")), T(S("COMPLETED"))]),
    "task-in-pending-flow-aborts": ({"type": "PENDING"}, {}, [T(S("RUNNING"))]),
    "task-retries": ({"type": "PENDING"}, {"task_retries": 1}, [S("RUNNING"), T(S("RUNNING")), T(S("FAILED")), T(S("RUNNING")), T(S("FAILED"))]),
    "task-rerun-after-completed": ({"type": "PENDING"}, {}, [S("RUNNING"), T(S("RUNNING")), T(S("COMPLETED")), T(S("RUNNING"))]),
    "task-completed-with-result": ({"type": "PENDING"}, {}, [S("RUNNING"), T(S("RUNNING")), T(S("COMPLETED", data=RESULT)), T(S("RUNNING")), T(S("CRASHED"))]),
    "task-in-paused-flow": ({"type": "PENDING"}, {}, [S("RUNNING"), S("PAUSED", pause_key="p"), T(S("RUNNING"))]),
    "task-cache": ({"type": "PENDING"}, {"cache_key": True}, [S("RUNNING"), T(S("RUNNING", cache_key="@key")), T(S("COMPLETED", cache_key="@key")), T(S("RUNNING", cache_key="@key"), ) | {"second_task": True}]),
    "task-flow-retry-renames": ({"type": "PENDING"}, {"retries": 1}, [S("RUNNING"), T(S("RUNNING")), T(S("FAILED", force=True)), S("FAILED"), S("RUNNING"), T(S("RUNNING"))]),
}


def _initial(kind) -> dict | None:
    if kind == "past":
        return {"type": "SCHEDULED", "state_details": {"scheduled_time": "2021-01-01T00:00:00Z"}}
    if kind == "future":
        return {"type": "SCHEDULED", "state_details": {"scheduled_time": _iso(3600)}}
    return kind


def _resolve(value, key: str):
    if isinstance(value, dict):
        return {k: _resolve(v, key) for k, v in value.items()}
    return key if value == "@key" else value


def _play(http: httpx.Client, name: str) -> list:
    initial, policy, steps = FLOW_SCENARIOS[name]
    flow = http.post("/flows/", json={"name": f"orchestration-{name}"}).json()
    body: dict = {"flow_id": flow["id"], "name": name}
    if _initial(initial) is not None:
        body["state"] = _initial(initial)
    if "retries" in policy:
        body["empirical_policy"] = {"retries": policy["retries"], "retry_delay": policy.get("retry_delay", 0)}
    run = http.post("/flow_runs/", json=body)
    assert run.status_code == 201, run.text
    run_id = run.json()["id"]
    cache_key = f"cache-{uuid.uuid4()}"
    task_ids: list[str] = []

    def new_task() -> str:
        task_body = {"name": "t", "flow_run_id": run_id, "task_key": f"t-{len(task_ids)}", "dynamic_key": "0", "state": {"type": "PENDING"}}
        if "task_retries" in policy:
            task_body["empirical_policy"] = {"retries": policy["task_retries"], "retry_delay": 0}
        created = http.post("/task_runs/", json=task_body)
        assert created.status_code == 201, created.text
        task_ids.append(created.json()["id"])
        return task_ids[-1]

    observed = []
    for step in steps:
        step = _resolve(step, cache_key)
        target = step.get("target", "flow")
        payload = {"state": step["state"], "force": step["force"]}
        if target == "task":
            task_id = new_task() if (not task_ids or step.get("second_task")) else task_ids[-1]
            r = http.post(f"/task_runs/{task_id}/set_state", json=payload)
        else:
            r = http.post(f"/flow_runs/{run_id}/set_state", json=payload)
        assert r.status_code in (200, 201), f"{name}: {r.status_code} {r.text}"
        result = r.json()
        details = result["details"]
        observed.append({
            "target": target,
            "http": r.status_code,
            "status": result["status"],
            "state": (result["state"]["type"], result["state"]["name"]) if result["state"] else None,
            "reason": re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "<id>", details.get("reason") or "") or None,
            "waits": details.get("delay_seconds", 0) > 0,
        })
    final = http.get(f"/flow_runs/{run_id}").json()
    observed.append({"run": _bookkeeping(final)})
    for task_id in task_ids:
        task = http.get(f"/task_runs/{task_id}").json()
        observed.append({"task": _bookkeeping(task) | {"flow_run_run_count": task["flow_run_run_count"]}})
    return observed


def _bookkeeping(run: dict) -> dict:
    policy = run["empirical_policy"]
    return {
        "state": (run["state_type"], run["state_name"]),
        "run_count": run["run_count"],
        "has_start_time": run["start_time"] is not None,
        "has_end_time": run["end_time"] is not None,
        "has_next_scheduled": run["next_scheduled_start_time"] is not None,
        "ran": run["total_run_time"] > 0,
        "policy": {k: (len(v) if k == "pause_keys" else v) for k, v in policy.items() if k in ("retries", "retry_delay", "pause_keys", "resuming", "retry_type")},
        "history_state_details_run": run["state"]["state_details"].get("flow_run_id") == (run.get("flow_run_id") or run["id"]),
    }


@pytest.fixture(scope="module")
def servers():
    with reference_server() as ref_url, weir_server_process() as weir_url:
        with httpx.Client(base_url=ref_url, timeout=60) as ref, httpx.Client(base_url=weir_url, timeout=60) as weir:
            yield ref, weir


def test_there_are_at_least_thirty_scenarios():
    assert len(FLOW_SCENARIOS) >= 30


@pytest.mark.parametrize("name", list(FLOW_SCENARIOS))
def test_set_state_sequence_matches_reference(servers, name):
    ref, weir = servers
    expected = _play(ref, name)
    actual = _play(weir, name)
    assert actual == expected
