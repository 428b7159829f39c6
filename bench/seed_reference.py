"""Seeds the benchmark dataset (bench/dataset.py) into a reference server's SQLite database, in-process.

Seeding the reference through its API takes hours at N = 100,000; this writes what the reference
would have stored, using prefect 3.9.1's own server code: its migrations create the schema, its
`prefect.server.models` functions create the flows, work pools, queues and deployments, and the
flow runs, their current states, task runs and theirs are bulk-inserted into its ORM tables with
SQLAlchemy core `insert()` (its column types do the encoding), with the denormalised state
columns set as its orchestration rules would have set them. Only each run's current state is stored
(not its history). Then `--check` starts `prefect server start` on the database and checks counts
for the benchmark's filters and a sample of whole flow and task runs against the generator.

Run with the reference's Python (prefect==3.9.1 installed):
  ~/.cache/weir/compat-venv/bin/python bench/seed_reference.py --db /tmp/ref/ref.db --n 100000 [--seed 7] [--check]
The same check runs against any server holding the dataset, e.g. Weir after `weir import`:
  ~/.cache/weir/compat-venv/bin/python bench/seed_reference.py --n 100000 --url http://127.0.0.1:4200/api
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dataset  # noqa: E402

BATCH = 10_000


def configure(db_path: Path) -> None:
    """Points prefect's settings at the database; call before importing prefect."""
    os.environ["PREFECT_HOME"] = str(db_path.parent / "prefect")
    os.environ["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = f"sqlite+aiosqlite:///{db_path}"
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")


def seed(db_path: Path, n: int, seed_value: int, log=print) -> dict:
    """Creates the database at `db_path` (replacing it) and fills it; returns timings in seconds."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    configure(db_path)
    return asyncio.run(_seed(n, seed_value, log))


async def _seed(n: int, seed_value: int, log) -> dict:
    import sqlalchemy as sa
    from prefect.server import models, schemas
    from prefect.server.database import provide_database_interface
    from prefect.server.schemas.states import StateType

    timings, t0 = {}, time.monotonic()
    db = provide_database_interface()
    await db.create_db()
    timings["migrations"] = time.monotonic() - t0

    t0 = time.monotonic()
    async with db.session_context(begin_transaction=True) as session:
        flows = {}
        for f in dataset.FLOWS:
            body = schemas.actions.FlowCreate(name=f["name"], tags=f["tags"])  # as POST /flows/ does
            flows[f["name"]] = (await models.flows.create_flow(session, flow=schemas.core.Flow(**body.model_dump()))).id
        queues = {}
        for p in dataset.WORK_POOLS:
            pool = await models.workers.create_work_pool(session, work_pool=schemas.actions.WorkPoolCreate(name=p["name"], type=p["type"]))
            queues[p["name"], "default"] = pool.default_queue_id
            for q in p["queues"]:
                queue = await models.workers.create_work_queue(session, work_pool_id=pool.id, work_queue=schemas.actions.WorkQueueCreate(name=q))
                queues[p["name"], q] = queue.id
        deployments = {}
        for d in dataset.DEPLOYMENTS:
            # as POST /deployments/ does with a work pool and queue name
            body = schemas.actions.DeploymentCreate(name=d["name"], flow_id=flows[d["flow"]], work_pool_name=d["work_pool"],
                                                    work_queue_name=d["work_queue"], tags=d["tags"], parameters=d["parameters"])
            values = body.model_dump(exclude={"work_pool_name"}, exclude_unset=True)
            model = await models.deployments.create_deployment(
                session, deployment=schemas.core.Deployment(**values, work_queue_id=queues[d["work_pool"], d["work_queue"]]))
            deployments[d["name"]] = model.id
    ids = dataset.Ids({k: str(v) for k, v in flows.items()}, {k: str(v) for k, v in deployments.items()})
    timings["resources"] = time.monotonic() - t0

    tables = [db.FlowRun.__table__, db.FlowRunState.__table__, db.TaskRun.__table__, db.TaskRunState.__table__]
    states = {s.value: s for s in StateType}

    async def insert(rows: list[list[dict]]) -> None:
        async with db.session_context(begin_transaction=True) as session:
            # flow_run.state_id and flow_run_state.flow_run_id point at each other: check at commit
            await session.execute(sa.text("PRAGMA defer_foreign_keys = ON"))
            for table, batch in zip(tables, rows):
                if batch:
                    await session.execute(sa.insert(table), batch)

    t0 = time.monotonic()
    rows: list[list[dict]] = [[], [], [], []]
    done = tasks = 0
    for run in dataset.flow_runs(n, seed_value):
        run_rows(run, ids, queues, states, rows)
        done, tasks = done + 1, tasks + len(run.task_runs)
        if done % BATCH == 0:
            await insert(rows)
            rows = [[], [], [], []]
            if done % (5 * BATCH) == 0:
                log(f"  reference: {done} runs inserted, {time.monotonic() - t0:.0f} s")
    await insert(rows)
    timings["runs"] = time.monotonic() - t0
    log(f"  reference: {done} flow runs and {tasks} task runs in {timings['runs']:.1f} s")
    return timings


def run_rows(run: dataset.FlowRunRecord, ids: dataset.Ids, queues: dict, states: dict, rows: list[list[dict]]) -> None:
    """Appends the flow_run, flow_run_state, task_run and task_run_state rows of one run."""
    scheduled = run.state_type == "SCHEDULED"
    labels = dataset.flow_run_labels(run, ids)
    rows[0].append({
        "id": run.id, "created": run.created, "updated": run.state_timestamp, "name": run.name, "flow_id": ids.flows[run.flow],
        "deployment_id": ids.deployments[run.deployment] if run.deployment else None, "deployment_version": None,
        "work_queue_name": run.work_queue, "work_queue_id": queues[run.work_pool, run.work_queue] if run.work_pool else None,
        "flow_version": None, "parameters": run.parameters, "idempotency_key": None, "context": {},
        "empirical_policy": dataset.FLOW_RUN_POLICY, "tags": run.tags, "labels": labels, "created_by": None,
        "infrastructure_pid": None, "job_variables": {}, "infrastructure_document_id": None, "parent_task_run_id": None,
        "auto_scheduled": False, "state_id": run.state_id, "state_type": states[run.state_type], "state_name": run.state_name,
        "state_timestamp": run.state_timestamp, "run_count": run.run_count, "expected_start_time": run.expected_start_time,
        "next_scheduled_start_time": run.expected_start_time if scheduled else None, "start_time": run.start_time,
        "end_time": run.end_time, "total_run_time": run.total_run_time,
    })
    rows[1].append({
        "id": run.state_id, "created": run.state_timestamp, "updated": run.state_timestamp, "flow_run_id": run.id,
        "type": states[run.state_type], "name": run.state_name, "timestamp": run.state_timestamp, "message": None,
        "state_details": {"flow_run_id": run.id, "scheduled_time": run.expected_start_time if scheduled else None},
    })
    for task in run.task_runs:
        name = task.state_type.title()
        rows[2].append({
            "id": task.id, "created": task.created, "updated": task.end_time, "name": task.name, "flow_run_id": run.id,
            "task_key": task.task_key, "dynamic_key": "0", "cache_key": None, "cache_expiration": None, "task_version": None,
            "flow_run_run_count": 1, "empirical_policy": dataset.TASK_RUN_POLICY, "task_inputs": {}, "tags": [],
            "labels": {**labels, "prefect.flow-run.id": run.id}, "state_id": task.state_id, "state_type": states[task.state_type],
            "state_name": name, "state_timestamp": task.end_time, "run_count": 1, "expected_start_time": task.created,
            "next_scheduled_start_time": None, "start_time": task.start_time, "end_time": task.end_time,
            "total_run_time": task.end_time - task.start_time,
        })
        rows[3].append({
            "id": task.state_id, "created": task.end_time, "updated": task.end_time, "task_run_id": task.id,
            "type": states[task.state_type], "name": name, "timestamp": task.end_time, "message": None,
            "state_details": {"flow_run_id": run.id, "task_run_id": task.id},
        })


def expected_counts(n: int, seed_value: int, ids: dataset.Ids) -> list[tuple[str, str, dict, int]]:
    """(label, path, body, count the generator says) for the benchmark's filters and a few more."""
    day = (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc))
    tally = {k: 0 for k in ["all", "tags", "dep-03", "pool-3", "high", "task failed", "flow-1", "window", "tasks", "tasks failed",
                            "next scheduled"] + dataset.STATES}
    for run in dataset.flow_runs(n, seed_value):
        tally["all"] += 1
        tally[run.state_type] += 1
        tally["tags"] += {"prod", "eu"} <= set(run.tags)
        tally["dep-03"] += run.deployment == "dep-03"
        tally["pool-3"] += run.work_pool == "pool-3"
        tally["high"] += run.work_queue == "high"
        tally["task failed"] += any(t.state_type == "FAILED" for t in run.task_runs)
        tally["flow-1"] += "flow-1" in run.flow
        tally["window"] += day[0] <= (run.start_time or run.expected_start_time) <= day[1]  # the reference coalesces
        tally["next scheduled"] += run.state_type == "SCHEDULED" and run.expected_start_time >= day[1]
        tally["tasks"] += len(run.task_runs)
        tally["tasks failed"] += sum(t.state_type == "FAILED" for t in run.task_runs)
    fr = lambda f: {"flow_runs": f}
    return [("all", "/flow_runs/count", {}, tally["all"])] + [
        (f"state {s}", "/flow_runs/count", fr({"state": {"type": {"any_": [s]}}}), tally[s]) for s in dataset.STATES] + [
        ("tags all_ prod, eu", "/flow_runs/count", fr({"tags": {"all_": ["prod", "eu"]}}), tally["tags"]),
        ("deployment dep-03", "/flow_runs/count", {"deployments": {"id": {"any_": [ids.deployments["dep-03"]]}}}, tally["dep-03"]),
        ("work pool pool-3", "/flow_runs/count", {"work_pools": {"name": {"any_": ["pool-3"]}}}, tally["pool-3"]),
        ("work queue high", "/flow_runs/count", {"work_pool_queues": {"name": {"any_": ["high"]}}}, tally["high"]),
        ("task run FAILED", "/flow_runs/count", {"task_runs": {"state": {"type": {"any_": ["FAILED"]}}}}, tally["task failed"]),
        ("flow name like_ flow-1", "/flow_runs/count", {"flows": {"name": {"like_": "flow-1"}}}, tally["flow-1"]),
        ("start_time on 2026-01-01", "/flow_runs/count",
         fr({"start_time": {"after_": day[0].isoformat(), "before_": day[1].isoformat()}}), tally["window"]),
        ("next_scheduled_start_time after 2026-01-02", "/flow_runs/count",
         fr({"next_scheduled_start_time": {"after_": day[1].isoformat()}}), tally["next scheduled"]),
        ("task runs", "/task_runs/count", {}, tally["tasks"]),
        ("task runs FAILED", "/task_runs/count", {"task_runs": {"state": {"type": {"any_": ["FAILED"]}}}}, tally["tasks failed"]),
    ]


def normalised(value):
    """JSON with timestamps as datetimes and floats rounded, so that equal answers compare equal."""
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, str) and len(value) >= 20 and value[4] == "-" and value[10] == "T":
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    return value


def check(url: str, n: int, seed_value: int, samples: int = 25, timeout: float = 120) -> tuple[list[str], list[str]]:
    """Compares a server seeded with the dataset against the generator: a sample of whole flow and task
    runs, then counts. Returns the disagreements, and the labels of the counts that took over `timeout`
    seconds (the reference keeps no planner statistics and some of its plans are quadratic)."""
    import httpx

    http = httpx.Client(base_url=url, timeout=timeout)
    ids = dataset.Ids.from_api(url)
    problems, timed_out = [], []
    step = max(1, n // samples)
    for i, run in enumerate(dataset.flow_runs(n, seed_value)):
        if i % step:
            continue
        want = normalised(json.loads(dataset.dumps(dataset.flow_run_json(run, ids))))
        got = http.get(f"/flow_runs/{run.id}").json()
        diff = {k: (got.get(k), v) for k, v in want.items() if normalised(got.get(k)) != v}
        if diff:
            problems.append(f"{run.name}: {diff}")
        if run.task_runs:
            got_tasks = http.post("/task_runs/filter", json={"task_runs": {"id": {"any_": [t.id for t in run.task_runs]}}, "sort": "NAME_ASC"}).json()
            if len(got_tasks) != len(run.task_runs):
                problems.append(f"{run.name}: {len(got_tasks)} task runs, not {len(run.task_runs)}")
            for task, got in zip(run.task_runs, got_tasks):
                want = normalised(json.loads(dataset.dumps(dataset.task_run_json(task, run, ids))))
                diff = {k: (got.get(k), v) for k, v in want.items() if normalised(got.get(k)) != v}
                if diff:
                    problems.append(f"{run.name} task {task.name}: {diff}")
    print(f"  {(n - 1) // step + 1} sampled flow runs and their task runs: {'same' if not problems else 'DIFFERENT'} field by field")
    newest = [r["name"] for r in http.post("/flow_runs/filter", json={"sort": "EXPECTED_START_TIME_DESC", "limit": 3}).json()]
    if newest != [f"run-{i:07d}" for i in range(n - 1, n - 4, -1)]:
        problems.append(f"newest runs by expected start time: {newest}")
    counts = expected_counts(n, seed_value, ids)
    for label, path, body, want in sorted(counts, key=lambda c: "task_runs" in c[2]):  # the slow ones last
        t0 = time.monotonic()
        try:
            got = http.post(path, json=body).json()
        except httpx.TimeoutException:
            print(f"  {label:45} timed out after {timeout:.0f} s: not checked")
            timed_out.append(label)
            continue
        print(f"  {label:45} {got:>9} {'ok' if got == want else f'MISMATCH: the generator says {want}'}  ({time.monotonic() - t0:.2f} s)")
        if got != want:
            problems.append(f"{label}: {got} != {want}")
    return problems, timed_out


def check_database(db_path: Path, n: int, seed_value: int) -> list[str]:
    """What the API check may time out on, counted with plain SQL on the database."""
    import sqlite3

    want = sum(any(t.state_type == "FAILED" for t in run.task_runs) for run in dataset.flow_runs(n, seed_value))
    got = sqlite3.connect(db_path).execute("SELECT count(DISTINCT flow_run_id) FROM task_run WHERE state_type = 'FAILED'").fetchone()[0]
    print(f"  {'(SQL) flow runs with a FAILED task run':45} {got:>9} {'ok' if got == want else f'MISMATCH: the generator says {want}'}")
    return [] if got == want else [f"flow runs with a FAILED task run: {got} != {want}"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="SQLite file to create (replaced if it exists)")
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--check", action="store_true", help="then start the reference on it and check it against the generator")
    ap.add_argument("--check-only", action="store_true", help="check a database seeded before with the same --n and --seed")
    ap.add_argument("--url", help="instead, check a running server seeded with the dataset (e.g. weir after `weir import`), .../api")
    args = ap.parse_args()
    if args.url:
        problems, timed_out = check(args.url, args.n, args.seed)
    else:
        if not args.db:
            ap.error("--db or --url is required")
        db_path = Path(args.db).resolve()
        db_path.parent.mkdir(parents=True, exist_ok=True)
        if not args.check_only:
            t0 = time.monotonic()
            timings = seed(db_path, args.n, args.seed)
            print(f"seeded {db_path} in {time.monotonic() - t0:.1f} s ({', '.join(f'{k} {v:.1f} s' for k, v in timings.items())})")
        if not (args.check or args.check_only):
            return
        import run
        server = run.start_reference(db_path)
        print(f"reference started in {server.startup_seconds:.1f} s; checking")
        try:
            problems, timed_out = check(server.url, args.n, args.seed)
        finally:
            server.stop()
        problems += check_database(db_path, args.n, args.seed)
    print("\n".join(problems) if problems else "all checks agree with the generator"
          + (f" (too slow to check: {', '.join(timed_out)})" if timed_out else ""))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
