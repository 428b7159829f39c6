"""The real `prefect` CLI against weir and against the reference on the same data: listings,
inspection, logs, cancel and delete give the same results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import differential as d
from servers import reference_server, weir_server_process

PREFECT = str(Path(sys.executable).parent / "prefect")
VOLATILE = {"id", "created", "updated", "flow_id", "state_id", "estimated_run_time", "estimated_start_time_delta", "expected_start_time",
            "next_scheduled_start_time", "start_time", "end_time", "total_run_time", "timestamp", "deployment_id", "work_queue_id",
            "work_pool_id", "parent_task_run_id", "flow_run_id", "labels", "state", "task_inputs"}


def cli(url: str, *args: str) -> str:
    env = dict(os.environ, PREFECT_API_URL=url, COLUMNS="300")
    proc = subprocess.run([PREFECT, *args], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"prefect {' '.join(args)} failed against {url}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def normalise(items: list[dict]) -> list[dict]:
    out = []
    for item in items:
        x = {k: v for k, v in item.items() if k not in VOLATILE}
        if isinstance(x.get("tags"), list):
            x["tags"] = sorted(x["tags"])
        out.append(x)
    return sorted(out, key=lambda x: json.dumps(x, sort_keys=True))


@pytest.fixture(scope="module")
def pair():
    with reference_server() as ref_url, weir_server_process() as weir_url:
        with httpx.Client(base_url=ref_url, timeout=60) as ref, httpx.Client(base_url=weir_url, timeout=60) as weir:
            ids = (d.seed(ref), d.seed(weir))
            for http, seeded in zip((ref, weir), ids):
                run_id = seeded.ids["@run:" + d.RUN_NAMES[12]]
                http.post("/logs/", json=[{"name": "cli", "level": 20, "message": f"line {i}", "timestamp": f"2026-01-01T00:00:0{i}Z", "flow_run_id": run_id, "task_run_id": None} for i in range(3)])
            yield (ref_url, ids[0]), (weir_url, ids[1])


@pytest.mark.parametrize("args", [
    ["flow-run", "ls", "--limit", "100", "-o", "json"],
    ["flow-run", "ls", "--state-type", "FAILED", "--state-type", "COMPLETED", "-o", "json"],
    ["flow-run", "ls", "--state", "Running", "-o", "json"],
    ["flow-run", "ls", "--flow-name", "Report", "-o", "json"],
    ["flow", "ls", "-o", "json"],
    ["task-run", "ls", "-o", "json"],
    ["task-run", "ls", "--state-type", "COMPLETED", "-o", "json"],
])
def test_listings_match_the_reference(pair, args):
    (ref_url, _), (weir_url, _) = pair
    assert normalise(json.loads(cli(weir_url, *args))) == normalise(json.loads(cli(ref_url, *args)))


def test_inspect_and_logs_match_the_reference(pair):
    outputs = []
    for url, seeded in pair:
        run_id = seeded.ids["@run:" + d.RUN_NAMES[12]]
        task_id = seeded.ids[f"@task:{d.RUN_NAMES[12]}:extract"]
        inspected = json.loads(cli(url, "flow-run", "inspect", run_id, "-o", "json"))
        task = json.loads(cli(url, "task-run", "inspect", task_id, "-o", "json"))
        logs = [l for l in cli(url, "flow-run", "logs", run_id).splitlines() if "line" in l]
        outputs.append((normalise([inspected]), normalise([task]), logs))
    assert outputs[0] == outputs[1]
    assert len(outputs[1][2]) == 3


def test_cancel_and_delete(pair):
    for url, seeded in pair:
        with httpx.Client(base_url=url) as http:
            scheduled = seeded.ids["@run:" + d.RUN_NAMES[3]]  # a SCHEDULED run in the future
            cli(url, "flow-run", "cancel", scheduled)
            assert http.get(f"/flow_runs/{scheduled}").json()["state_type"] == "CANCELLED"
            victim = seeded.ids["@run:" + d.RUN_NAMES[5]]
            cli(url, "flow-run", "delete", victim)
            assert http.get(f"/flow_runs/{victim}").status_code == 404
