"""Differential test of creating deployments and runs from them: the same scenario against a fresh
reference `prefect server start` and a fresh weir (the harness of test_run_api_differential: whole
bodies compared, every key in order, ids of what the scenario created as names, other ids as
`<uuidN>`, times within a day of now as `<now>`).

Covered: what a deployment is created with and answers for parameter_openapi_schema (absent, {},
null, a real schema), pull_steps (absent, null, [], real steps), concurrency_options (valid and
invalid, with and without a concurrency limit), the old fields the reference drops silently and the
removed ones it refuses; and runs from create_flow_run with and without job_variables and an
idempotency key, or proposed SCHEDULED with no scheduled_time (test_run_api_differential's
test_runs_from_deployments).
"""

from __future__ import annotations

from typing import Any

from test_run_api_differential import P, UNKNOWN, Side, compare, create_deployment as create, servers, work_pool as pool, xfail  # noqa: F401 (servers is a fixture)

GIT_PULL = [
    {"prefect.deployments.steps.git_clone": {"id": "clone-step", "repository": "https://github.com/org/repo.git", "branch": "main"}},
    {"prefect.deployments.steps.pip_install_requirements": {"directory": "{{ clone-step.directory }}", "requirements_file": "requirements.txt"}},
]
SCHEMA = {"title": "Parameters", "type": "object", "properties": {"x": {"title": "x", "position": 0, "type": "integer"}}, "required": ["x"],
          "definitions": {}}


def test_deployment_parameter_schema_and_pull_steps(servers):
    def scenario(s: Side):
        f = s.flow("dep-shape")
        cases: list[tuple[str, dict[str, Any]]] = [
            ("nothing optional", {}),
            ("schema {}", {"parameter_openapi_schema": {}}),
            ("schema null", {"parameter_openapi_schema": None}),
            ("schema with a parameter", {"parameter_openapi_schema": SCHEMA, "parameters": {"x": 1}, "enforce_parameter_schema": True}),
            ("pull_steps null", {"pull_steps": None}),
            ("pull_steps []", {"pull_steps": []}),
            ("pull_steps given", {"pull_steps": GIT_PULL, "entrypoint": "flows/etl.py:etl", "path": "/opt/prefect"}),
            ("schema null and pull_steps null", {"parameter_openapi_schema": None, "pull_steps": None, "parameters": {"a": [1, 2]}}),
        ]
        for i, (label, extra) in enumerate(cases):
            create(s, label, f"shape-{i}", {"flow_id": f, **extra})
        s.rec("all of them", "POST", "/deployments/filter", {"deployments": {"name": {"like_": f"{P}-shape-"}}, "sort": "NAME_ASC"})

    compare(servers, scenario)


def test_deployment_concurrency_options(servers):
    def scenario(s: Side):
        f = s.flow("dep-conc")
        cases: list[tuple[str, dict[str, Any]]] = [
            ("ENQUEUE, no grace", {"concurrency_options": {"collision_strategy": "ENQUEUE"}}),
            ("CANCEL_NEW grace 120", {"concurrency_options": {"collision_strategy": "CANCEL_NEW", "grace_period_seconds": 120}}),
            ("ENQUEUE grace 86400", {"concurrency_options": {"collision_strategy": "ENQUEUE", "grace_period_seconds": 86400}, "tags": ["x"]}),
            ("options null", {"concurrency_options": None}),
            ("bad strategy", {"concurrency_options": {"collision_strategy": "QUEUE"}}),
            ("lowercase strategy", {"concurrency_options": {"collision_strategy": "enqueue"}}),
            ("grace 5", {"concurrency_limit": 1, "concurrency_options": {"collision_strategy": "ENQUEUE", "grace_period_seconds": 5}}),
            ("grace 100000", {"concurrency_options": {"collision_strategy": "CANCEL_NEW", "grace_period_seconds": 100000}}),
            ("no strategy", {"concurrency_options": {"grace_period_seconds": 120}}),
            ("bad strategy and grace, parameters given", {"concurrency_options": {"collision_strategy": "NOPE", "grace_period_seconds": 5}, "parameters": {"a": 1}}),
        ]
        for i, (label, extra) in enumerate(cases):
            create(s, label, f"conc-{i}", {"flow_id": f, **extra})

    compare(servers, scenario)


@xfail("a deployment's concurrency_limit becomes a global concurrency limit (global_concurrency_limit) in the reference; weir answers null")
def test_deployment_concurrency_limit(servers):
    def scenario(s: Side):
        f = s.flow("dep-limit")
        create(s, "ENQUEUE with a limit", "limit-0", {"flow_id": f, "concurrency_limit": 2, "concurrency_options": {"collision_strategy": "ENQUEUE"}})
        create(s, "a limit alone", "limit-1", {"flow_id": f, "concurrency_limit": 3})

    compare(servers, scenario)


def test_deployment_old_and_removed_fields(servers):
    def scenario(s: Side):
        f = s.flow("dep-old")
        wp = pool(s, "dep-old-pool")
        cases: list[tuple[str, dict[str, Any]]] = [
            ("worker_pool_name", {"worker_pool_name": wp}),
            ("worker_pool_queue_name", {"work_pool_name": wp, "worker_pool_queue_name": "default"}),
            ("work_pool_queue_name", {"work_pool_name": wp, "work_pool_queue_name": "other"}),
            ("worker_pool_queue_id", {"worker_pool_queue_id": UNKNOWN, "tags": ["old"]}),
            ("all old fields", {"worker_pool_name": "x", "worker_pool_queue_name": "y", "work_pool_queue_name": "z", "worker_pool_queue_id": UNKNOWN,
                                "work_pool_name": wp, "work_queue_name": "default"}),
            ("schedule", {"schedule": {"interval": 3600}}),
            ("schedule null", {"schedule": None}),
            ("infrastructure", {"infrastructure": {"type": "process"}, "work_pool_name": wp}),
            ("schedule, infrastructure and an old field", {"schedule": {"cron": "0 * * * *"}, "infrastructure": None, "worker_pool_name": wp}),
        ]
        for i, (label, extra) in enumerate(cases):
            create(s, label, f"old-{i}", {"flow_id": f, **extra})

    compare(servers, scenario)


def test_deployment_like_prefect_deploy(servers):
    """A body shaped like the one `prefect deploy` sends, all optional parts at once."""
    def scenario(s: Side):
        f = s.flow("dep-full")
        wp = pool(s, "dep-full-pool")
        create(s, "full", "full", {
            "flow_id": f, "work_pool_name": wp, "work_queue_name": "default", "version": "abc123", "description": "ETL",
            "tags": ["etl", "prod"], "labels": {"team": "data"}, "parameters": {"x": 5}, "parameter_openapi_schema": SCHEMA,
            "enforce_parameter_schema": True, "job_variables": {"env": {"A": "1"}}, "entrypoint": "flows/etl.py:etl",
            "path": ".", "pull_steps": GIT_PULL,
            "concurrency_options": {"collision_strategy": "CANCEL_NEW", "grace_period_seconds": 600}, "schedules": [], "paused": False,
        })

    compare(servers, scenario)


def test_deployment_upsert(servers):
    """POST /deployments/ with a name the flow already has replaces what the body sets; parameters
    are always set (to {} when not given), job_variables only when given."""
    def scenario(s: Side):
        f = s.flow("dep-upsert")
        create(s, "first", "upsert", {"flow_id": f, "parameters": {"x": 5}, "job_variables": {"env": {"A": "1"}}, "tags": ["a"],
                                       "pull_steps": GIT_PULL, "parameter_openapi_schema": SCHEMA, "description": "first"})
        create(s, "again, fewer fields", "upsert", {"flow_id": f, "parameter_openapi_schema": None, "pull_steps": None,
                                                     "concurrency_options": {"collision_strategy": "ENQUEUE"}})
        create(s, "again, parameters", "upsert", {"flow_id": f, "parameters": {"y": 1}, "tags": ["b"]})

    compare(servers, scenario)


def test_deployment_count_paginate_pause_resume_delete(servers):
    """POST /deployments/count and /paginate (filters, sorts, pages, the limits and what count
    ignores), pause and resume (a manual scheduled run survives a pause), and DELETE (its
    scheduled runs that never ran go with it, others stay; the deleted event and its related
    resources are compared in test_flows_differential, where the reference records events)."""
    def scenario(s: Side):
        f = s.flow("dep-life")
        wp = pool(s, "dep-life-pool")
        a = create(s, "a", "life-a", {"flow_id": f, "tags": ["t1"]})
        b = create(s, "b", "life-b", {"flow_id": f, "work_pool_name": wp, "work_queue_name": "q1"})
        create(s, "c", "life-c", {"flow_id": f, "tags": ["t1", "t2"]})
        mine = {"deployments": {"name": {"like_": f"{P}-life-"}}}
        s.rec("count", "POST", "/deployments/count", mine)
        s.rec("count ignores paging and sort", "POST", "/deployments/count", {**mine, "limit": 100000, "offset": -1, "sort": "NOPE"})
        s.rec("count by tag", "POST", "/deployments/count", {"deployments": {"name": {"like_": f"{P}-life-"}, "tags": {"all_": ["t1"]}}})
        s.rec("count by work pool", "POST", "/deployments/count", {**mine, "work_pools": {"name": {"any_": [wp]}}})
        s.rec("count: a bad filter", "POST", "/deployments/count", {"deployments": {"name": {"any_": "x"}}})
        s.rec("paginate, default", "POST", "/deployments/paginate", mine)
        s.rec("paginate, page 1 of 2", "POST", "/deployments/paginate", {**mine, "limit": 2})
        s.rec("paginate, page 2 of 2, NAME_DESC", "POST", "/deployments/paginate", {**mine, "limit": 2, "page": 2, "sort": "NAME_DESC"})
        s.rec("paginate, past the end", "POST", "/deployments/paginate", {**mine, "limit": 2, "page": 5})
        s.rec("paginate, page 0", "POST", "/deployments/paginate", {**mine, "page": 0})
        s.rec("paginate, limit over the maximum", "POST", "/deployments/paginate", {**mine, "limit": 201})
        s.rec("paginate, bad sort", "POST", "/deployments/paginate", {**mine, "sort": "ID_DESC"})

        r = s.send("POST", f"/deployments/{a}/create_flow_run", {})
        a1 = s.name("run", "a1", r.json()["id"])
        s.rec("pause", "POST", f"/deployments/{a}/pause_deployment")
        s.rec("paused", "GET", f"/deployments/{a}", keep=lambda d: {k: d[k] for k in ("paused", "status")})
        s.rec("a manual scheduled run survives the pause", "GET", f"/flow_runs/{a1}", keep=lambda d: d.get("state_type"))
        s.rec("pause again", "POST", f"/deployments/{a}/pause_deployment")
        s.rec("resume", "POST", f"/deployments/{a}/resume_deployment")
        s.rec("resumed", "GET", f"/deployments/{a}", keep=lambda d: d["paused"])
        s.rec("pause an unknown deployment", "POST", f"/deployments/{UNKNOWN}/pause_deployment")
        s.rec("resume an unknown deployment", "POST", f"/deployments/{UNKNOWN}/resume_deployment")

        b1 = s.name("run", "b1", s.send("POST", f"/deployments/{b}/create_flow_run", {}).json()["id"])
        b2 = s.name("run", "b2", s.send("POST", f"/deployments/{b}/create_flow_run", {}).json()["id"])
        s.rec("b2 runs", "POST", f"/flow_runs/{b2}/set_state", {"state": {"type": "RUNNING"}}, keep=lambda d: d["status"])
        b3 = s.name("run", "b3", s.send("POST", f"/deployments/{b}/create_flow_run", {"state": {"type": "SCHEDULED", "name": "AwaitingConcurrencySlot"}}).json()["id"])
        s.rec("delete", "DELETE", f"/deployments/{b}")
        s.rec("deleted", "GET", f"/deployments/{b}")
        s.rec("its scheduled run is gone", "GET", f"/flow_runs/{b1}")
        s.rec("its running run stays", "GET", f"/flow_runs/{b2}", keep=lambda d: {k: d[k] for k in ("deployment_id", "state_type")})
        s.rec("its run awaiting a slot stays", "GET", f"/flow_runs/{b3}", keep=lambda d: d.get("state_name"))
        s.rec("delete again", "DELETE", f"/deployments/{b}")
        s.rec("delete an unknown deployment", "DELETE", f"/deployments/{UNKNOWN}")
        s.rec("delete a malformed id", "DELETE", "/deployments/not-a-uuid")
        s.rec("count after", "POST", "/deployments/count", mine)

    compare(servers, scenario)


def test_deployment_bulk_delete(servers):
    """POST /deployments/bulk_delete: the matching deployments (at most `limit`, by name) go with
    their runs still scheduled; the limit's bounds; a filter that matches nothing."""
    def scenario(s: Side):
        f = s.flow("dep-bulk")
        for i in range(4):
            create(s, f"d{i}", f"bulk-{i}", {"flow_id": f, "tags": ["even" if i % 2 == 0 else "odd"]})
        r = s.send("POST", f"/deployments/{s.send('POST', '/deployments/filter', {'deployments': {'name': {'any_': [f'{P}-bulk-0']}}}).json()[0]['id']}/create_flow_run", {})
        run = s.name("run", "bulk-0-run", r.json()["id"])
        mine = {"name": {"like_": f"{P}-bulk-"}}
        deleted = lambda d: sorted(s.norm(d["deleted"])) if isinstance(d, dict) and "deleted" in d else d  # the reference's order is the database's
        s.rec("limit 0", "POST", "/deployments/bulk_delete", {"deployments": mine, "limit": 0})
        s.rec("limit 51", "POST", "/deployments/bulk_delete", {"deployments": mine, "limit": 51})
        s.rec("a bad filter", "POST", "/deployments/bulk_delete", {"deployments": {"name": {"like_": 3}}})
        s.rec("nothing matches", "POST", "/deployments/bulk_delete", {"deployments": {"name": {"any_": [f"{P}-none"]}}})
        s.rec("the even ones", "POST", "/deployments/bulk_delete", {"deployments": {**mine, "tags": {"all_": ["even"]}}}, keep=deleted)
        s.rec("its scheduled run went with it", "GET", f"/flow_runs/{run}", keep=lambda d: d.get("detail", d.get("id")))
        s.rec("one of the rest (by name)", "POST", "/deployments/bulk_delete", {"deployments": mine, "limit": 1}, keep=deleted)
        s.rec("left", "POST", "/deployments/filter", {"deployments": mine}, keep=lambda ds: [d["name"] for d in ds])

    compare(servers, scenario)
