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
