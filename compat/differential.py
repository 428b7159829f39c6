"""The differential test's pieces: one dataset seeded identically into two servers through the
public API, a deterministic generator of Read Flow Runs bodies (valid and invalid), and the
comparison of two answers.

Ids differ between servers, so the dataset is written with symbolic references (`@run:NAME`,
`@flow:NAME`, ...) that each server's seeding resolves to its own ids, and results are compared by
run name (every seeded run has a unique name).
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

import httpx

PAST = "2020-06-01T00:00:00Z"
FUTURE = "2035-06-01T00:00:00Z"


def _scheduled(at: str) -> dict:
    return {"type": "SCHEDULED", "name": "Scheduled", "state_details": {"scheduled_time": at}}


# Flows, pools, queues and deployments, then runs: (name, flow, extra body, states to force afterwards).
# Flow labels reach the flow's runs and deployments (a deployment's reach its runs), and are
# overridden key by key, so some keys recur at several levels.
FLOWS = [
    {"name": "ETL-Daily", "tags": ["etl", "daily"], "labels": {"team": "data", "tier": 1}},
    {"name": "etl_hourly", "tags": ["etl"], "labels": {"team": "data"}},
    {"name": "Report", "tags": []},
    {"name": "café", "tags": ["intl"], "labels": {"critical": True}},
]
POOLS = [
    {"name": "pool-a", "type": "process"},
    {"name": "pool-b", "type": "kubernetes"},
]
QUEUES = [("pool-a", {"name": "q-high", "priority": 1}), ("pool-a", {"name": "Q_low"}), ("pool-b", {"name": "gpu"})]
DEPLOYMENTS = [
    {"name": "nightly", "flow": "ETL-Daily", "work_pool_name": "pool-a", "work_queue_name": "q-high", "tags": ["prod"], "parameters": {"x": 1}, "version": "v1", "paused": False,
     "job_variables": {"env": {"STAGE": "prod"}}, "labels": {"env": "prod", "team": "etl"}},
    {"name": "adhoc", "flow": "Report", "work_pool_name": "pool-b", "tags": ["dev", "prod"], "parameters": {}, "version": "v2", "paused": True, "labels": {"owner": "ana"}},
    {"name": "local", "flow": "café", "tags": [], "parameters": {"y": "z"}, "paused": False, "job_variables": {"cpu": 2}},
    {"name": "hourly", "flow": "etl_hourly", "work_pool_name": "pool-a", "work_queue_name": "Q_low", "tags": [], "parameters": {"x": 0}, "version": "h1", "paused": False},
]


def _runs() -> list[dict]:
    """The seeded runs, in seeding order. Each has a unique name."""
    runs: list[dict] = []
    kinds = ["SCHEDULED-PAST", "SCHEDULED-FUTURE", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "CRASHED", "PAUSED", "CANCELLING"]
    names = ["alpha", "Beta", "gamma_1", "pct%run", "RUN-x", "run_y", "delta", "Éclair", "epsilon", "zeta"]
    flows = [f["name"] for f in FLOWS]
    tagsets = [[], ["prod"], ["prod", "eu"], ["dev"], ["eu", "dev", "dev"], ["PROD"]]
    i = 0
    for kind in kinds:
        for variant in range(3):
            name = f"{names[i % len(names)]}-{kind.lower()}-{variant}"
            body: dict[str, Any] = {"name": name, "tags": tagsets[i % len(tagsets)]}
            if i % 4 == 1:
                body["flow_version"] = f"1.{i % 3}"
            if i % 5 == 2:
                body["idempotency_key"] = f"idem-{i:03d}"
            if i % 7 == 3:
                body["work_pool_name"] = "pool-a"
            elif i % 7 == 4:
                body["work_pool_name"] = "pool-a"
                body["work_queue_name"] = "Q_low"
            elif i % 7 == 5:
                body["work_queue_name"] = "loose-queue"
            if i % 6 == 0:
                body["parameters"] = {"n": i, "s": "v"}
            if i % 8 == 3:
                body["labels"] = {"team": "ops"}
            elif i % 8 == 6:
                body["labels"] = {"run": i, "flag": False}
            states: list[dict] = []
            if kind == "SCHEDULED-PAST":
                body["state"] = _scheduled(PAST.replace("2020", str(2018 + variant)))
            elif kind == "SCHEDULED-FUTURE":
                body["state"] = _scheduled(FUTURE.replace("2035", str(2035 + variant)))
            else:
                body["state"] = {"type": "PENDING", "name": "Pending"}
                if kind != "PENDING":
                    if kind in ("COMPLETED", "FAILED", "CRASHED", "CANCELLING", "PAUSED") or variant != 2:
                        states.append({"type": "RUNNING", "name": "Running"})
                    states.append({"type": kind, "name": kind.capitalize() if kind != "CANCELLING" else "Cancelling"})
                    if kind == "COMPLETED" and variant == 1:
                        states.append({"type": "RUNNING", "name": "Running"})
                        states.append({"type": "COMPLETED", "name": "Completed"})
            runs.append({"flow": flows[i % len(flows)], "body": body, "states": states})
            i += 1
    # SCHEDULED proposed with no scheduled_time: the server schedules the run for now (so its
    # next_scheduled_start_time is a clock time), on creation and on a forced set_state alike.
    runs += [
        {"flow": "ETL-Daily", "body": {"name": "now-sched-bare", "tags": ["prod"], "state": {"type": "SCHEDULED"}}, "states": []},
        {"flow": "Report", "body": {"name": "now-sched-named", "tags": [], "state": {"type": "SCHEDULED", "name": "Scheduled", "state_details": {}}}, "states": []},
        {"flow": "café", "body": {"name": "now-forced-retry", "tags": ["eu"], "state": {"type": "PENDING", "name": "Pending"}},
         "states": [{"type": "RUNNING", "name": "Running"}, {"type": "SCHEDULED", "name": "AwaitingRetry"}]},
        {"flow": "etl_hourly", "body": {"name": "now-forced-bare", "tags": [], "work_pool_name": "pool-a", "state": {"type": "PENDING"}},
         "states": [{"type": "SCHEDULED"}]},
    ]
    return runs


RUNS = _runs()
# Task runs: (run name, task key, states), and one subflow whose parent task run belongs to a run.
TASKS = [
    (RUNS[12]["body"]["name"], "extract", ["RUNNING", "COMPLETED"]),
    (RUNS[12]["body"]["name"], "load", ["RUNNING", "FAILED"]),
    (RUNS[13]["body"]["name"], "extract", ["RUNNING", "COMPLETED"]),
    (RUNS[20]["body"]["name"], "transform", []),
]
# Runs from deployments (create_flow_run): job_variables given or not, with an idempotency key or
# not (the two paths store a run differently), with labels over the deployment's and parameters.
DEPLOYMENT_RUNS = [
    ("nightly", {"name": "dep-nightly-1", "parameters": {"x": 2}, "tags": ["extra"]}),
    ("nightly", {"name": "dep-nightly-2", "state": _scheduled("2034-03-01T12:00:00Z")}),
    ("adhoc", {"name": "dep-adhoc-1", "state": _scheduled("2021-02-03T04:05:06.789000Z")}),
    ("local", {"name": "dep-local-1"}),
    ("nightly", {"name": "dep-nightly-idem", "idempotency_key": "dep-idem-1"}),
    ("nightly", {"name": "dep-nightly-jv", "job_variables": {"env": {"STAGE": "test"}}, "parameters": {"x": 3}, "labels": {"env": "dev"}}),
    ("adhoc", {"name": "dep-adhoc-idem-jv", "idempotency_key": "dep-idem-2", "job_variables": {"image": "x:1"}, "labels": {"owner": "bo", "rank": 2},
               "state": _scheduled("2036-01-02T00:00:00Z")}),
    ("local", {"name": "dep-local-idem", "idempotency_key": "dep-idem-3", "parameters": {"y": "w", "more": [1, 2]}, "labels": {"critical": False},
               "state": _scheduled("2019-05-05T05:05:05Z")}),
    ("hourly", {"name": "dep-hourly-idem", "idempotency_key": "dep-idem-4", "job_variables": {}, "tags": ["prod"]}),
    ("hourly", {"name": "dep-hourly-1", "labels": {"team": "ops"}, "state": _scheduled("2035-11-11T11:11:11Z")}),
    ("nightly", {"name": "dep-nightly-now", "state": {"type": "SCHEDULED"}, "tags": ["eu"]}),
    ("local", {"name": "dep-local-now-idem", "idempotency_key": "dep-idem-5", "state": {"type": "SCHEDULED", "name": "Scheduled"}}),
]
# Runs created with POST /flow_runs/ naming a deployment: (flow, deployment, body). A run's labels come
# from its deployment (its flow id too), even when the deployment belongs to another flow.
LINKED_RUNS = [
    ("Report", "nightly", {"name": "linked-other-1", "state": {"type": "PENDING", "name": "Pending"}}),
    ("café", "adhoc", {"name": "linked-other-2", "labels": {"owner": "cy", "n": 3}, "tags": ["prod"], "state": _scheduled("2020-03-03T03:03:03Z")}),
    ("etl_hourly", "local", {"name": "linked-other-idem", "idempotency_key": "linked-idem-1", "labels": {"x": "y"}}),
    ("ETL-Daily", "nightly", {"name": "linked-same-1", "labels": {"env": "qa"}, "state": _scheduled("2037-07-07T07:07:07Z")}),
    ("etl_hourly", "hourly", {"name": "linked-same-2", "job_variables": {"mem": "1Gi"}}),
    ("Report", "hourly", {"name": "linked-other-now", "state": {"type": "SCHEDULED"}}),
]


class Seeded:
    """Ids a server assigned to the dataset's named objects."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def resolve(self, value: Any) -> Any:
        """Replaces `@kind:name` strings with this server's ids, recursively."""
        if isinstance(value, str) and value.startswith("@"):
            return self.ids.get(value, "00000000-0000-4000-8000-000000000000")
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value


def seed(http: httpx.Client) -> Seeded:
    """Writes the dataset through the public API; every write must succeed."""
    s = Seeded()

    def post(path: str, body: Any) -> dict:
        r = http.post(path, json=body)
        assert r.status_code in (200, 201), f"seeding {path} {body}: {r.status_code} {r.text}"
        return r.json()

    for f in FLOWS:
        s.ids[f"@flow:{f['name']}"] = post("/flows/", f)["id"]
    for p in POOLS:
        post("/work_pools/", p)
    for pool, q in QUEUES:
        s.ids[f"@queue:{q['name']}"] = post(f"/work_pools/{pool}/queues", q)["id"]
    for d in DEPLOYMENTS:
        body = {k: v for k, v in d.items() if k != "flow"}
        body["flow_id"] = s.ids[f"@flow:{d['flow']}"]
        s.ids[f"@deployment:{d['name']}"] = post("/deployments/", body)["id"]
    for run in RUNS:
        body = dict(run["body"], flow_id=s.ids[f"@flow:{run['flow']}"])
        created = post("/flow_runs/", body)
        s.ids[f"@run:{body['name']}"] = created["id"]
        for state in run["states"]:
            result = post(f"/flow_runs/{created['id']}/set_state", {"state": state, "force": True})
            assert result["status"] in ("ACCEPT", "REJECT"), result
    for run_name, key, states in TASKS:
        run_id = s.ids[f"@run:{run_name}"]
        task = post("/task_runs/", {"name": f"{key}-task", "flow_run_id": run_id, "task_key": key, "dynamic_key": "0", "tags": [key], "state": {"type": "PENDING"}})
        s.ids[f"@task:{run_name}:{key}"] = task["id"]
        for state in states:
            post(f"/task_runs/{task['id']}/set_state", {"state": {"type": state}, "force": True})
    parent_task = s.ids[f"@task:{TASKS[3][0]}:{TASKS[3][1]}"]
    child = post("/flow_runs/", {"name": "child-subflow", "flow_id": s.ids["@flow:Report"], "parent_task_run_id": parent_task, "tags": ["sub"]})
    s.ids["@run:child-subflow"] = child["id"]
    for dep, body in DEPLOYMENT_RUNS:
        s.ids[f"@run:{body['name']}"] = post(f"/deployments/{s.ids['@deployment:' + dep]}/create_flow_run", body)["id"]
    for flow, dep, body in LINKED_RUNS:
        body = dict(body, flow_id=s.ids[f"@flow:{flow}"], deployment_id=s.ids[f"@deployment:{dep}"])
        s.ids[f"@run:{body['name']}"] = post("/flow_runs/", body)["id"]
    return s


# ---------------------------------------------------------------------------------------------
# Body generation

RUN_NAMES = [r["body"]["name"] for r in RUNS] + ["child-subflow"] + [b["name"] for _, b in DEPLOYMENT_RUNS] + [b["name"] for _, _, b in LINKED_RUNS]
STATE_TYPES = ["SCHEDULED", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "CRASHED", "PAUSED", "CANCELLING"]
STATE_NAMES = ["Scheduled", "Pending", "Running", "Completed", "Failed", "Cancelled", "Crashed", "Paused", "Cancelling", "Late", "running"]
TAGS = ["prod", "eu", "dev", "PROD", "extra", "sub", "nope"]
SORTS = ["ID_DESC", "START_TIME_ASC", "START_TIME_DESC", "EXPECTED_START_TIME_ASC", "EXPECTED_START_TIME_DESC", "NAME_ASC", "NAME_DESC", "NEXT_SCHEDULED_START_TIME_ASC", "END_TIME_DESC"]
TIMES = ["2019-01-01T00:00:00Z", "2020-06-01T00:00:00+00:00", "2030-01-01", "2036-06-01T00:00:00Z", "2100-01-01T00:00:00Z", "2000-01-01 00:00:00"]


def _some(rng: random.Random, items: list, lo: int = 0, hi: int = 3) -> list:
    return rng.sample(items, rng.randint(lo, min(hi, len(items))))


def _flow_runs_filter(rng: random.Random) -> dict:
    options = {
        "id": lambda: rng.choice([{"any_": [f"@run:{n}" for n in _some(rng, RUN_NAMES)]}, {"not_any_": [f"@run:{n}" for n in _some(rng, RUN_NAMES)]}]),
        "name": lambda: rng.choice([{"any_": _some(rng, RUN_NAMES + ["ALPHA-scheduled-past-0"])}, {"like_": rng.choice(["run", "RUN_", "%", "pct%", "alpha", "éclair", "Éclair", "-0", ""])}, {}]),
        "tags": lambda: rng.choice([{"all_": _some(rng, TAGS)}, {"any_": _some(rng, TAGS)}, {"is_null_": rng.choice([True, False])}, {"operator": "or_", "all_": _some(rng, TAGS, 1), "is_null_": True}]),
        "deployment_id": lambda: rng.choice([{"any_": [f"@deployment:{d['name']}" for d in _some(rng, DEPLOYMENTS)]}, {"is_null_": rng.choice([True, False])}]),
        "work_queue_name": lambda: rng.choice([{"any_": _some(rng, ["q-high", "Q_low", "default", "loose-queue", "Q-HIGH"])}, {"is_null_": rng.choice([True, False])}]),
        "state": lambda: rng.choice([
            {"type": {"any_": _some(rng, STATE_TYPES)}},
            {"type": {"not_any_": _some(rng, STATE_TYPES)}},
            {"name": {"any_": _some(rng, STATE_NAMES)}},
            {"name": {"not_any_": _some(rng, STATE_NAMES)}},
            {"operator": "or_", "type": {"any_": _some(rng, STATE_TYPES, 1)}, "name": {"any_": _some(rng, STATE_NAMES, 1)}},
            {"type": {}, "name": {}},
        ]),
        "flow_version": lambda: {"any_": _some(rng, ["1.0", "1.1", "1.2", ""])},
        "start_time": lambda: rng.choice([{"before_": rng.choice(TIMES)}, {"after_": rng.choice(TIMES)}, {"is_null_": rng.choice([True, False])}]),
        "end_time": lambda: rng.choice([{"before_": rng.choice(TIMES)}, {"after_": rng.choice(TIMES)}, {"is_null_": rng.choice([True, False])}]),
        "expected_start_time": lambda: rng.choice([{"before_": rng.choice(TIMES)}, {"after_": rng.choice(TIMES)}]),
        "next_scheduled_start_time": lambda: rng.choice([{"before_": rng.choice(TIMES)}, {"after_": rng.choice(TIMES)}]),
        "parent_task_run_id": lambda: rng.choice([{"any_": [f"@task:{TASKS[3][0]}:{TASKS[3][1]}"]}, {"is_null_": rng.choice([True, False])}]),
        "parent_flow_run_id": lambda: {"any_": [f"@run:{TASKS[3][0]}", f"@run:{RUN_NAMES[0]}"][: rng.randint(0, 2)]},
        "idempotency_key": lambda: rng.choice([{"any_": _some(rng, ["idem-002", "idem-007", "idem-999", "dep-idem-1", "linked-idem-1"])}, {"not_any_": _some(rng, ["idem-002", "idem-007", "dep-idem-3"])}]),
        "created_by": lambda: rng.choice([{"is_null_": rng.choice([True, False])}, {"type_": ["AUTOMATION"]}]),
    }
    keys = _some(rng, list(options), 1, 2)
    f = {k: options[k]() for k in keys}
    if rng.random() < 0.3:
        f["operator"] = rng.choice(["and_", "or_"])
    return f


def _concurrency_limit(rng: random.Random) -> dict:
    return rng.choice([{"ge_": rng.choice([0, 1, 1000])}, {"le_": rng.choice([0, 5])}, {"is_null_": rng.choice([True, False])}])


def _deployment_criterion(rng: random.Random) -> dict:
    """One deployments criterion that some deployments fail, so an operator over it shows."""
    return rng.choice([
        {"name": {"any_": _some(rng, [d["name"] for d in DEPLOYMENTS], 1, 2)}},
        {"paused": {"eq_": rng.choice([True, False])}},
        {"tags": {"all_": ["prod"]}},
        {"work_queue_name": {"any_": ["Q_low"]}},
    ])


def _with_concurrency_limit(criterion: dict, limit: dict, operator: str | None) -> dict:
    """The deprecated `concurrency_limit` beside another criterion: the reference ignores it (adds
    no condition at all), which only an "or_" over another criterion can tell from a TRUE one."""
    f = dict(criterion, concurrency_limit=limit)
    if operator:
        f["operator"] = operator
    return f


def _other_filter(rng: random.Random, which: str) -> dict:
    if which == "flows":
        return rng.choice([
            {"name": {"any_": _some(rng, [f["name"] for f in FLOWS] + ["etl-daily"])}},
            {"name": {"like_": rng.choice(["etl", "ETL_", "CAF", "é"])}},
            {"tags": {"all_": _some(rng, ["etl", "daily", "intl"])}},
            {"tags": {"is_null_": rng.choice([True, False])}},
            {"deployment": {"is_null_": rng.choice([True, False])}},
            {"id": {"any_": [f"@flow:{f['name']}" for f in _some(rng, FLOWS)]}},
            {},
        ])
    if which == "task_runs":
        return rng.choice([
            {},
            {"state": {"type": {"any_": _some(rng, ["COMPLETED", "FAILED", "PENDING", "RUNNING"])}}},
            {"name": {"like_": rng.choice(["extract", "LOAD", "x"])}},
            {"tags": {"all_": _some(rng, ["extract", "load", "transform"])}},
            {"subflow_runs": {"exists_": rng.choice([True, False])}},
            {"flow_run_id": rng.choice([{}, {"is_null_": True}, {"is_null_": None, "any_": [f"@run:{TASKS[0][0]}"]}])},
            {"state": {"type": {"any_": ["COMPLETED"]}}, "tags": {"all_": ["load"]}},
        ])
    if which == "deployments":
        return rng.choice([
            {},
            {"name": {"any_": _some(rng, [d["name"] for d in DEPLOYMENTS])}},
            {"name": {"like_": rng.choice(["NIGHT", "o", "zz"])}},
            {"flow_or_deployment_name": {"like_": rng.choice(["etl", "report", "loc"])}},
            {"paused": {"eq_": rng.choice([True, False])}},
            {"tags": rng.choice([{"all_": ["prod"]}, {"any_": ["dev", "zz"]}, {"is_null_": True}])},
            {"work_queue_name": {"any_": ["q-high", "default"]}},
            {"concurrency_limit": _concurrency_limit(rng)},
            _with_concurrency_limit(_deployment_criterion(rng), _concurrency_limit(rng), rng.choice([None, "and_", "or_"])),
        ])
    if which == "work_pools":
        return rng.choice([{}, {"name": {"any_": _some(rng, ["pool-a", "pool-b", "nope"])}}, {"type": {"any_": ["process"]}}])
    return rng.choice([
        {},
        {"name": {"any_": _some(rng, ["q-high", "Q_low", "default", "gpu"])}},
        {"name": {"startswith_": _some(rng, ["q", "Q-", "def", "", "g"])}},
    ])


def valid_body(rng: random.Random) -> dict:
    body: dict[str, Any] = {}
    if rng.random() < 0.7:
        body["flow_runs"] = _flow_runs_filter(rng)
    for which in ["flows", "task_runs", "deployments", "work_pools", "work_pool_queues"]:
        if rng.random() < 0.15:
            body[which] = _other_filter(rng, which)
        elif rng.random() < 0.05:
            body[which] = None
    body["sort"] = rng.choice(SORTS + [None])
    body["limit"] = rng.choice([None, 0, 1, 3, 10, 200, "5"])
    if rng.random() < 0.4:
        body["offset"] = rng.choice([0, 1, 5, 100, None])
    return body


INVALID = [
    {"sort": "name_asc"},
    {"limit": 201},
    {"limit": -1},
    {"offset": -1},
    {"limit": 5.5},
    {"flow_runs": {"nope": 1}},
    {"flow_runs": {"name": {"operator": "and_"}}},
    {"flow_runs": {"id": {"any_": ["not-a-uuid"]}}},
    {"flow_runs": {"tags": {"all_": [1]}}},
    {"flow_runs": {"state": {"type": {"any_": ["DONE"]}}}},
    {"flow_runs": {"start_time": {"before_": "yesterday"}}},
    {"flow_runs": {"tags": {"is_null_": "maybe"}}},
    {"flow_runs": "x"},
    {"deployments": {"concurrency_limit": {"ge_": "many"}}},
    {"work_pool_queues": {"name": {"startswith_": "q"}}},
    {"flows": {"operator": "xor_"}},
    {"task_runs": {"subflow_runs": {"exists_": "perhaps"}}},
]
RAW_INVALID = ["{bad", "[1]", "\"text\"", "{\"limit\": }"]


def _deprecated_filters() -> list[dict]:
    """Each form of the deprecated deployments `concurrency_limit` beside another criterion, under
    each operator: a few random bodies might miss the one combination that tells."""
    rng = random.Random(3)
    out = []
    for limit in ({"ge_": 1}, {"le_": 0}, {"is_null_": True}):
        for operator in (None, "and_", "or_"):
            out.append({"deployments": _with_concurrency_limit(_deployment_criterion(rng), limit, operator), "sort": "NAME_ASC"})
    return out


def _empty_criterion_filters() -> list[dict]:
    """Sub-filters that state no criterion ({}, flow runs' `not_any_: []`, queues' `startswith_: []`)
    beside a real one: the reference leaves such a sub-filter out, so under "or_" it does not make
    the whole OR true (nor, for `startswith_: []`, false under "and_"); alone it matches everything."""
    completed, failed = {"any_": ["Completed"]}, {"any_": ["FAILED"]}
    out: list[dict] = []
    for empty in ({}, {"not_any_": []}):
        out += [
            {"flow_runs": {"state": {"operator": "or_", "type": empty, "name": completed}}},
            {"flow_runs": {"state": {"operator": "or_", "type": failed, "name": empty}}, "sort": "NAME_ASC"},
            {"flow_runs": {"state": {"operator": "or_", "type": empty, "name": empty}}, "sort": "NAME_DESC"},
        ]
    out += [
        {"flow_runs": {"state": {"operator": "or_", "type": {"not_any_": []}, "name": {"any_": ["Running", "Late", "AwaitingRetry"]}}, "tags": {"all_": ["prod"]}}},
        {"flow_runs": {"state": {"operator": "and_", "type": {}, "name": {"not_any_": ["Completed", "Scheduled"]}}}, "sort": "NAME_ASC"},
        {"flow_runs": {"state": {"operator": "or_", "type": {"any_": []}, "name": {}}}},
        # the state filter itself has no criterion; the flow runs filter keeps it (as TRUE)
        {"flow_runs": {"operator": "or_", "state": {"operator": "or_", "type": {}, "name": {}}, "tags": {"all_": ["dev"]}}, "sort": "NAME_ASC"},
        {"task_runs": {"state": {"operator": "or_", "type": {}, "name": {"any_": ["Completed"]}}}, "sort": "NAME_ASC"},
        {"task_runs": {"state": {"operator": "or_", "type": {"any_": ["FAILED"]}, "name": {}}}},
        {"task_runs": {"state": {"operator": "or_", "type": {}, "name": {}}}, "sort": "NAME_DESC"},
        {"task_runs": {"state": {"operator": "and_", "type": {}, "name": {"any_": ["Pending", "Failed"]}}}, "sort": "NAME_ASC"},
        {"task_runs": {"operator": "or_", "state": {"operator": "or_", "type": {}, "name": {"any_": ["Failed"]}}, "tags": {"all_": ["transform"]}}, "sort": "NAME_ASC"},
    ]
    for operator in ("or_", "and_", None):
        for other in ({"id": {"any_": ["@queue:Q_low"]}}, {"name": {"any_": ["q-high"]}}):
            name = dict(other.get("name", {}), startswith_=[])
            f = {k: v for k, v in other.items() if k != "name"} | {"name": name}
            if operator:
                f["operator"] = operator
            out.append({"work_pool_queues": f, "sort": "NAME_ASC"})
    out += [
        {"work_pool_queues": {"name": {"startswith_": []}}, "sort": "NAME_DESC"},
        {"work_pool_queues": {"operator": "or_", "name": {"startswith_": []}}},
        {"work_pool_queues": {"operator": "or_", "id": {"any_": ["@queue:gpu"]}, "name": {"startswith_": ["q-"]}}, "sort": "NAME_ASC"},
        {"work_pool_queues": {"operator": "or_", "name": {"startswith_": [], "any_": ["Q_low"]}}, "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}},
    ]
    return out


def _null_operators() -> list[dict]:
    """"operator": null is no operator at all to the reference: a 422 of type `enum`."""
    return [
        {"flow_runs": {"operator": None, "tags": {"all_": ["prod"]}}},
        {"flows": {"operator": None}},
        {"deployments": {"operator": None, "paused": {"eq_": False}}},
        {"work_pools": {"operator": None, "name": {"any_": ["pool-a"]}}},
        {"work_pool_queues": {"operator": None}},
        {"task_runs": {"operator": None, "name": {"like_": "extract"}}},
        {"flow_runs": {"tags": {"operator": None, "all_": ["prod"]}}},
        {"flows": {"tags": {"operator": None, "is_null_": False}}},
        {"task_runs": {"tags": {"operator": None, "all_": ["load"]}}},
        {"flow_runs": {"state": {"operator": None, "type": {"any_": ["COMPLETED"]}}}},
        {"task_runs": {"state": {"operator": None, "name": {"any_": ["Completed"]}}}},
        {"flow_runs": {"operator": "or_", "state": {"operator": None}}, "deployments": {"tags": {"operator": None}}},
    ]


def bodies(seed_value: int, count: int) -> list[Any]:
    """`count` bodies: mostly valid, some invalid, deterministic for the seed."""
    rng = random.Random(seed_value)
    out: list[Any] = [{}, None]
    out += INVALID
    out += [("raw", t) for t in RAW_INVALID]
    out += _deprecated_filters()
    out += _empty_criterion_filters()
    out += _null_operators()
    while len(out) < count:
        out.append(valid_body(rng))
    return out


# ---------------------------------------------------------------------------------------------
# Comparison

COMPARED_FIELDS = ["name", "state_type", "state_name", "flow_version", "parameters", "idempotency_key", "context",
                   "empirical_policy", "work_queue_name", "work_pool_name", "run_count", "deployment_version",
                   "expected_start_time", "next_scheduled_start_time", "auto_scheduled", "infrastructure_pid",
                   "created_by", "job_variables"]
SORT_KEY = {
    "START_TIME_ASC": "start_or_expected", "START_TIME_DESC": "start_or_expected",
    "EXPECTED_START_TIME_ASC": "expected_start_time", "EXPECTED_START_TIME_DESC": "expected_start_time",
    "NAME_ASC": "name", "NAME_DESC": "name", "NEXT_SCHEDULED_START_TIME_ASC": "next_scheduled_start_time",
    "END_TIME_DESC": "end_time",
}


def _fixed_time(value: str | None) -> str | None:
    """A seeded, fixed time as is; a clock time (which differs between servers) as "now"."""
    if value is None:
        return None
    return value if value[:4] in {"2018", "2019", "2020", "2021", "2034", "2035", "2036", "2037"} else "now"


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _labels(labels: dict | None, names_by_id: dict[str, str]) -> dict | None:
    """Labels, keys and values, with ids (prefect.flow.id, ...) as names: which object a label
    names matters, its id differs between servers. An id of nothing seeded can't be told apart."""
    if labels is None:
        return None
    return {k: names_by_id.get(v, "<unseeded id>") if isinstance(v, str) and UUID.match(v) else v for k, v in labels.items()}


def normalise_run(run: dict, names_by_id: dict[str, str]) -> dict:
    """The fields of a run that must agree between servers, with ids replaced by names."""
    out = {k: run.get(k) for k in COMPARED_FIELDS}
    out["expected_start_time"] = _fixed_time(run["expected_start_time"])
    out["next_scheduled_start_time"] = _fixed_time(run["next_scheduled_start_time"])
    out["tags"] = sorted(run["tags"])
    out["labels"] = _labels(run.get("labels"), names_by_id)
    out["has_start_time"] = run["start_time"] is not None
    out["has_end_time"] = run["end_time"] is not None
    out["deployment"] = names_by_id.get(run["deployment_id"]) if run["deployment_id"] else None
    out["parent_task_run"] = names_by_id.get(run["parent_task_run_id"]) if run["parent_task_run_id"] else None
    out["state"] = {k: run["state"][k] for k in ("type", "name", "message")} if run["state"] else None
    return out


def _groups(runs: list[dict], sort: str) -> list[tuple[object, list[str]]]:
    """Runs grouped by equal sort key, in order (ID_DESC: one group, ids differ between servers).
    Real clock times differ between servers, so they form one group named "time" whose order the
    seeding order fixes."""
    key = SORT_KEY.get(sort)
    if key is None:
        return [("ids", [r["name"] for r in runs])]
    groups: list[tuple[object, list[str]]] = []
    last = object()
    for r in runs:
        value = r["start_time"] or r["expected_start_time"] if key == "start_or_expected" else r[key]
        if key in ("start_or_expected", "end_time", "expected_start_time", "next_scheduled_start_time") and value is not None and _fixed_time(value) == "now":
            value = "time"
        if value != last:
            groups.append((value, []))
            last = value
        groups[-1][1].append(r["name"])
    return groups


def compare(body: Any, ref: httpx.Response, weir: httpx.Response, ref_ids: dict[str, str], weir_ids: dict[str, str], total: int) -> list[str]:
    """Differences between the two answers to one body; empty when they agree."""
    problems: list[str] = []
    if ref.status_code != weir.status_code:
        return [f"status {ref.status_code} (reference) != {weir.status_code} (weir): {ref.text[:300]} | {weir.text[:300]}"]
    if ref.status_code != 200:
        r, w = ref.json(), weir.json()
        if "detail" in r:
            if r != w:
                problems.append(f"error body {r} != {w}")
        else:
            rset = sorted((e["type"], json.dumps(e["loc"])) for e in r["exception_detail"])
            wset = sorted((e["type"], json.dumps(e["loc"])) for e in w.get("exception_detail", []))
            if rset != wset:
                problems.append(f"validation errors {rset} != {wset}")
        return problems
    r_runs, w_runs = ref.json(), weir.json()
    if len(r_runs) != len(w_runs):
        return [f"{len(r_runs)} runs (reference) != {len(w_runs)} (weir): {[x['name'] for x in r_runs]} | {[x['name'] for x in w_runs]}"]
    sort = (body or {}).get("sort") or "ID_DESC" if isinstance(body, dict) else "ID_DESC"
    limit = body.get("limit") if isinstance(body, dict) else None
    offset = (body.get("offset") or 0) if isinstance(body, dict) else 0
    page_is_everything = offset == 0 and len(r_runs) < (int(limit) if limit not in (None,) else 200)
    if sort == "ID_DESC" and not page_is_everything:
        return problems  # a page of random ids: only the count is comparable
    rg, wg = _groups(r_runs, sort), _groups(w_runs, sort)
    if [len(g) for _, g in rg] != [len(g) for _, g in wg]:
        return [f"sort groups differ: {rg} != {wg}"]
    for i, ((value, a), (_, b)) in enumerate(zip(rg, wg)):
        if value == "time":
            # one total order on both servers, so even a cut page holds the same runs in order
            if a != b:
                problems.append(f"time order differs: {a} != {b}")
            continue
        cut = (i == 0 and offset > 0) or (i == len(rg) - 1 and not page_is_everything)
        if cut:
            continue
        if sorted(a) != sorted(b):
            problems.append(f"tie group {i} differs: {sorted(a)} != {sorted(b)}")
    names_r = {v: k.split(":", 1)[1] for k, v in ref_ids.items()}
    names_w = {v: k.split(":", 1)[1] for k, v in weir_ids.items()}
    by_name_w = {x["name"]: x for x in w_runs}
    for x in r_runs:
        y = by_name_w.get(x["name"])
        if y is None:
            continue
        a, b = normalise_run(x, names_r), normalise_run(y, names_w)
        if a != b:
            diff = {k: (a[k], b[k]) for k in a if a[k] != b[k]}
            problems.append(f"run {x['name']} differs: {diff}")
    return problems
