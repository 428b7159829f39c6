"""The pause-expirations and cancellation-cleanup services, on short loops: a paused run whose
pause times out fails; cancelling a flow run cancels its unfinished task runs and subflows; a run
left CANCELLING past the timeout becomes Cancelled. Messages and forced/unforced transitions as
the reference's services make them."""

from __future__ import annotations

import datetime as dt
import time

import httpx

from servers import weir_server_process

SERVICES = {"PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "true", "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_LOOP_SECONDS": "0.5",
            "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_ENABLED": "true", "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_LOOP_SECONDS": "0.5",
            "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_CANCELLING_TIMEOUT_SECONDS": "2"}


def _until(h: httpx.Client, path: str, state_type: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = h.get(path).json()
        if run["state_type"] == state_type or time.monotonic() > deadline:
            return run
        time.sleep(0.3)


def test_expired_pauses_fail_and_cancellations_are_cleaned_up(uniq):
    with weir_server_process(**SERVICES) as url, httpx.Client(base_url=url, timeout=30) as h:
        flow = h.post("/flows/", json={"name": f"cleanup-{uniq}"}).json()["id"]
        # A pause that times out in a second.
        paused = h.post("/flow_runs/", json={"flow_id": flow, "state": {"type": "RUNNING"}}).json()["id"]
        until = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)).isoformat()
        r = h.post(f"/flow_runs/{paused}/set_state", json={"state": {"type": "PAUSED", "state_details": {"pause_timeout": until}}})
        assert r.json()["status"] == "ACCEPT", r.text
        still = h.post("/flow_runs/", json={"flow_id": flow, "state": {"type": "RUNNING"}}).json()["id"]
        later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()
        assert h.post(f"/flow_runs/{still}/set_state", json={"state": {"type": "PAUSED", "state_details": {"pause_timeout": later}}}).json()["status"] == "ACCEPT"
        run = _until(h, f"/flow_runs/{paused}", "FAILED")
        assert (run["state_type"], run["state"]["message"]) == ("FAILED", "The flow was paused and never resumed.")
        assert h.get(f"/flow_runs/{still}").json()["state_type"] == "PAUSED"  # its pause has not timed out

        # A cancelled parent: its running task run and its subflow are cancelled.
        parent = h.post("/flow_runs/", json={"flow_id": flow, "state": {"type": "RUNNING"}}).json()["id"]
        task = h.post("/task_runs/", json={"flow_run_id": parent, "task_key": "t", "dynamic_key": "0", "name": "t",
                                           "state": {"type": "RUNNING"}}).json()["id"]
        done = h.post("/task_runs/", json={"flow_run_id": parent, "task_key": "t", "dynamic_key": "1", "name": "t",
                                           "state": {"type": "COMPLETED"}}).json()["id"]
        sub = h.post("/flow_runs/", json={"flow_id": flow, "parent_task_run_id": task, "state": {"type": "RUNNING"}}).json()["id"]
        assert h.post(f"/flow_runs/{parent}/set_state", json={"state": {"type": "CANCELLED"}, "force": True}).json()["status"] == "ACCEPT"
        task_run = _until(h, f"/task_runs/{task}", "CANCELLED")
        assert (task_run["state_type"], task_run["state"]["message"]) == ("CANCELLED", "The parent flow run was cancelled.")
        assert h.get(f"/task_runs/{done}").json()["state_type"] == "COMPLETED"
        subflow = _until(h, f"/flow_runs/{sub}", "CANCELLED")
        assert (subflow["state_type"], subflow["state"]["message"]) == ("CANCELLED", "The parent flow run was cancelled.")

        # A run left CANCELLING (nobody stops it) becomes Cancelled after the timeout.
        stuck = h.post("/flow_runs/", json={"flow_id": flow, "state": {"type": "RUNNING"}}).json()["id"]
        assert h.post(f"/flow_runs/{stuck}/set_state", json={"state": {"type": "CANCELLING"}}).json()["status"] == "ACCEPT"
        time.sleep(0.5)
        assert h.get(f"/flow_runs/{stuck}").json()["state_type"] == "CANCELLING"
        run = _until(h, f"/flow_runs/{stuck}", "CANCELLED")
        assert (run["state_type"], run["state"]["message"]) == ("CANCELLED", "Flow run cancellation timed out; marked this flow run as Cancelled.")
