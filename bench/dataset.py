"""The benchmark dataset, generated deterministically, and written as NDJSON for `weir import`.

The same records seed both servers: `bench/seed_reference.py` inserts them into the reference's
SQLite database, `weir import` reads the NDJSON written here, and `bench/run.py --seeding api`
posts them through the API. The dataset is

- 20 flows `flow-00`..`flow-19`, 10 work pools `pool-0`..`pool-9` (type process) each with its
  default queue and a queue `high`, 40 deployments `dep-00`..`dep-39` (flow `flow-{d % 20}`, pool
  `pool-{d % 10}`, queue `default`, tag `env-{d % 3}`, parameters `{"d": d}`);
- N flow runs `run-0000000`.., their current state spread evenly over the nine state types, tags,
  parameters, times consistent with the state (expected start one minute apart from 2026-01-01,
  start time once run, end time and total run time once terminal or paused), 20% created from a
  deployment (and so in its pool's default queue), about 30% in a work pool in all, and about 40%
  with one or two task runs (COMPLETED or FAILED; only runs that started have them).

Records name flows, deployments, pools and queues; `Ids` maps those names to one server's ids.
Run ids and state ids come from the seeded generator, so both servers hold the same run ids.

NDJSON: one flow run per line in the shape of a `POST /api/flow_runs/filter` item (without the
server-derived `work_queue_id`, `work_pool_id`, `estimated_*`; with `work_pool_name`), followed by
its task runs in the shape of a `POST /api/task_runs/filter` item (recognised by `task_key`).

Usage: python bench/dataset.py --n 100000 [--seed 7] --out runs.ndjson [--api http://127.0.0.1:4200/api]
(without --api, flow and deployment ids are placeholders: for timing and inspection only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Iterator

try:
    import orjson

    def dumps(obj) -> bytes:
        """Compact JSON; datetimes as ISO 8601 with Z (microseconds when not zero)."""
        return orjson.dumps(obj, option=orjson.OPT_UTC_Z)
except ImportError:  # the stdlib encoder is about three times slower
    def dumps(obj) -> bytes:
        return json.dumps(obj, separators=(",", ":"), default=iso).encode()

STATES = ["SCHEDULED", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "CRASHED", "PAUSED", "CANCELLING"]
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}
RUN_TAGS = ["prod", "dev", "eu", "us", "nightly", "adhoc"]
BASE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)

FLOWS = [{"name": f"flow-{i:02d}", "tags": [f"team-{i % 4}"]} for i in range(20)]
WORK_POOLS = [{"name": f"pool-{p}", "type": "process", "queues": ["high"]} for p in range(10)]
DEPLOYMENTS = [{"name": f"dep-{d:02d}", "flow": f"flow-{d % 20:02d}", "work_pool": f"pool-{d % 10}", "work_queue": "default",
                "tags": [f"env-{d % 3}"], "parameters": {"d": d}} for d in range(40)]

# What the reference stores and answers for defaults (prefect 3.9.1 schemas).
FLOW_RUN_POLICY = {"max_retries": 0, "retry_delay_seconds": 0.0, "retries": None, "retry_delay": None, "pause_keys": [],
                   "resuming": False, "retry_type": None}
TASK_RUN_POLICY = {"max_retries": 0, "retry_delay_seconds": 0.0, "retries": None, "retry_delay": None, "retry_jitter_factor": None}
STATE_DETAILS = {"flow_run_id": None, "task_run_id": None, "child_flow_run_id": None, "scheduled_time": None, "cache_key": None,
                 "cache_expiration": None, "deferred": False, "untrackable_result": False, "pause_timeout": None,
                 "pause_reschedule": False, "pause_key": None, "run_input_keyset": None, "refresh_cache": None, "retriable": None,
                 "transition_id": None, "task_parameters_id": None, "traceparent": None, "deployment_concurrency_lease_id": None}


@dataclass(slots=True)
class TaskRunRecord:
    id: str
    name: str
    task_key: str
    state_type: str
    state_id: str
    created: dt.datetime      # also the PENDING state's time and so the expected start time
    start_time: dt.datetime
    end_time: dt.datetime     # also the terminal state's time


@dataclass(slots=True)
class FlowRunRecord:
    id: str
    name: str
    flow: str
    deployment: str | None
    work_pool: str | None
    work_queue: str | None
    tags: list[str]
    parameters: dict
    state_type: str
    state_id: str
    state_timestamp: dt.datetime
    created: dt.datetime
    expected_start_time: dt.datetime
    start_time: dt.datetime | None
    end_time: dt.datetime | None
    total_run_time: dt.timedelta
    run_count: int
    task_runs: list[TaskRunRecord] = field(default_factory=list)

    @property
    def state_name(self) -> str:
        return self.state_type.title()


def flow_runs(n: int, seed: int = 7, prefix: str = "run-") -> Iterator[FlowRunRecord]:
    """The N flow runs, always the same for the same seed."""
    rng = random.Random(seed)
    rand = rng.random

    def new_id() -> str:
        """A random (version 4) UUID from the seeded generator."""
        h = "%032x" % (rng.getrandbits(128) & ~(0xF000 << 64 | 0xC << 60) | (0x4000 << 64 | 0x8 << 60))
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def seconds(low: float, high: float) -> dt.timedelta:
        """A random duration, to the microsecond."""
        return dt.timedelta(microseconds=int((low + (high - low) * rand()) * 1e6))

    for i in range(n):
        run_id, state = new_id(), STATES[int(rand() * len(STATES))]
        deployment = pool = queue = None
        if rand() < 0.2:
            d = DEPLOYMENTS[int(rand() * len(DEPLOYMENTS))]
            deployment, flow, pool, queue = d["name"], d["flow"], d["work_pool"], d["work_queue"]
        else:
            flow = FLOWS[int(rand() * len(FLOWS))]["name"]
            if rand() < 0.125:
                pool, queue = f"pool-{int(rand() * 10)}", "high" if rand() < 0.5 else "default"
        tags = rng.sample(RUN_TAGS, int(rand() * 4))
        parameters = {"i": i, "x": round(rand(), 6)}
        if deployment:  # as creating a run from a deployment does: its tags and parameters, then the run's
            tags = d["tags"] + [t for t in tags if t not in d["tags"]]
            parameters = {**d["parameters"], **parameters}
        expected = BASE + dt.timedelta(minutes=i)
        created = expected - seconds(60, 3600)
        timestamp, start, end, total, run_count = created, None, None, dt.timedelta(0), 0
        if state != "SCHEDULED":
            timestamp = expected + seconds(0, 30)                # PENDING
            if state != "PENDING":
                start = timestamp = timestamp + seconds(1, 10)   # RUNNING
                run_count = 1
                if state != "RUNNING":                           # then left RUNNING for the final state
                    timestamp = start + seconds(60, 600)
                    total = timestamp - start
                    end = timestamp if state in TERMINAL else None
        record = FlowRunRecord(run_id, f"{prefix}{i:07d}", flow, deployment, pool, queue, tags, parameters, state, new_id(),
                               timestamp, created, expected, start, end, total, run_count)
        if start is not None and rand() < 0.5143:   # 40% of all runs: 7 of the 9 states have started
            for k in range(1 + (rand() < 0.5)):
                failed = (state in ("FAILED", "CRASHED") and k == 0) or (state != "COMPLETED" and rand() < 0.3)
                t_created = start + seconds(0, 1) + dt.timedelta(seconds=30 * k)
                t_start = t_created + seconds(0, 0.5)
                record.task_runs.append(TaskRunRecord(new_id(), f"task-{k}-0", f"task-{k}", "FAILED" if failed else "COMPLETED",
                                                      new_id(), t_created, t_start, t_start + seconds(0.1, 30)))
        yield record


@dataclass
class Ids:
    """One server's ids for the named resources."""
    flows: dict[str, str]
    deployments: dict[str, str]

    @staticmethod
    def placeholders() -> "Ids":
        ns = uuid.UUID("6f1d7a4e-2a0b-4c62-9a55-0d2f7c1b9e10")
        return Ids({f["name"]: str(uuid.uuid5(ns, "flow/" + f["name"])) for f in FLOWS},
                   {d["name"]: str(uuid.uuid5(ns, "deployment/" + d["name"])) for d in DEPLOYMENTS})

    @staticmethod
    def from_api(url: str) -> "Ids":
        """Reads the ids from a running server (`url` ends in /api)."""
        def post(path: str) -> list[dict]:
            request = urllib.request.Request(url + path, data=b"{}", headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request) as response:
                return json.load(response)
        return Ids({f["name"]: f["id"] for f in post("/flows/filter")},
                   {d["name"]: d["id"] for d in post("/deployments/filter")})


def iso(t: dt.datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def flow_run_labels(run: FlowRunRecord, ids: Ids) -> dict:
    """The labels the reference gives a run: its flow's id, and its deployment's for deployment runs."""
    labels = {"prefect.flow.id": ids.flows[run.flow]}
    if run.deployment:
        labels["prefect.deployment.id"] = ids.deployments[run.deployment]
    return labels


def state_json(state_id: str, state_type: str, timestamp: dt.datetime, details: dict) -> dict:
    return {"id": state_id, "type": state_type, "name": state_type.title(), "timestamp": timestamp, "message": None,
            "data": None, "state_details": {**STATE_DETAILS, **details}}


def flow_run_json(run: FlowRunRecord, ids: Ids) -> dict:
    """A flow run as `POST /api/flow_runs/filter` answers it (less the server-derived fields)."""
    scheduled = run.state_type == "SCHEDULED"
    details = {"flow_run_id": run.id, "scheduled_time": run.expected_start_time if scheduled else None}
    return {
        "id": run.id, "created": run.created, "updated": run.state_timestamp, "name": run.name,
        "flow_id": ids.flows[run.flow], "state_id": run.state_id,
        "deployment_id": ids.deployments[run.deployment] if run.deployment else None, "deployment_version": None,
        "work_queue_name": run.work_queue, "flow_version": None, "parameters": run.parameters, "idempotency_key": None,
        "context": {}, "empirical_policy": FLOW_RUN_POLICY, "tags": run.tags, "labels": flow_run_labels(run, ids),
        "parent_task_run_id": None, "state_type": run.state_type, "state_name": run.state_name, "run_count": run.run_count,
        "expected_start_time": run.expected_start_time,
        "next_scheduled_start_time": run.expected_start_time if scheduled else None,
        "start_time": run.start_time, "end_time": run.end_time, "total_run_time": run.total_run_time.total_seconds(),
        "auto_scheduled": False, "infrastructure_document_id": None, "infrastructure_pid": None, "created_by": None,
        "work_pool_name": run.work_pool, "state": state_json(run.state_id, run.state_type, run.state_timestamp, details),
        "job_variables": {},
    }


def task_run_json(task: TaskRunRecord, run: FlowRunRecord, ids: Ids) -> dict:
    """A task run as `POST /api/task_runs/filter` answers it (less `estimated_*`)."""
    return {
        "id": task.id, "created": task.created, "updated": task.end_time, "name": task.name, "flow_run_id": run.id,
        "task_key": task.task_key, "dynamic_key": "0", "cache_key": None, "cache_expiration": None, "task_version": None,
        "empirical_policy": TASK_RUN_POLICY, "tags": [], "labels": {**flow_run_labels(run, ids), "prefect.flow-run.id": run.id},
        "state_id": task.state_id, "task_inputs": {}, "state_type": task.state_type, "state_name": task.state_type.title(),
        "run_count": 1, "flow_run_run_count": 1, "expected_start_time": task.created, "next_scheduled_start_time": None,
        "start_time": task.start_time, "end_time": task.end_time,
        "total_run_time": (task.end_time - task.start_time).total_seconds(),
        "state": state_json(task.state_id, task.state_type, task.end_time, {"flow_run_id": run.id, "task_run_id": task.id}),
    }


def write_ndjson(path: str, n: int, seed: int, ids: Ids, progress=None) -> tuple[int, int]:
    """Streams the dataset to `path`; returns (flow runs, task runs) written."""
    runs = tasks = 0
    with open(path, "wb", buffering=1 << 20) as out:
        for run in flow_runs(n, seed):
            out.write(dumps(flow_run_json(run, ids)) + b"\n")
            for task in run.task_runs:
                out.write(dumps(task_run_json(task, run, ids)) + b"\n")
            runs, tasks = runs + 1, tasks + len(run.task_runs)
            if progress and runs % 100_000 == 0:
                progress(runs)
    return runs, tasks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    ap.add_argument("--api", help="server whose flow and deployment ids to use (.../api)")
    args = ap.parse_args()
    ids = Ids.from_api(args.api) if args.api else Ids.placeholders()
    t0 = time.monotonic()
    runs, tasks = write_ndjson(args.out, args.n, args.seed, ids, lambda k: print(f"  {k} runs, {time.monotonic() - t0:.1f} s", file=sys.stderr))
    print(f"wrote {runs} flow runs and {tasks} task runs to {args.out} in {time.monotonic() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
