"""Raw HTTP error shapes, as the reference prefect 3.9.1 server answers them."""

from __future__ import annotations

import uuid

import pytest


def test_health_and_versions(http):
    r = http.get("health")
    assert r.status_code == 200
    assert r.json() is True
    r = http.get("admin/version")
    assert r.status_code == 200
    assert r.json() == "3.9.1"


def test_malformed_json_is_422_json_invalid(http):
    r = http.post("flows/", content=b'{"name": "x",', headers={"content-type": "application/json"})
    assert r.status_code == 422
    body = r.json()
    assert body["exception_message"] == "Invalid request received."
    detail = body["exception_detail"]
    assert detail[0]["type"] == "json_invalid"
    assert detail[0]["loc"][0] == "body"


def test_unknown_key_in_filter_is_422_extra_forbidden(http):
    r = http.post("flow_runs/filter", json={"flow_runs": {"not_a_field": {"any_": ["x"]}}})
    assert r.status_code == 422
    detail = r.json()["exception_detail"]
    assert [(d["type"], d["loc"]) for d in detail] == [("extra_forbidden", ["body", "flow_runs", "not_a_field"])]

    r = http.post("flow_runs/count", json={"flow_runs": {"state": {"type": {"any_": ["RUNNING"], "bogus_": 1}}}})
    assert r.status_code == 422
    detail = r.json()["exception_detail"]
    assert [(d["type"], d["loc"]) for d in detail] == [
        ("extra_forbidden", ["body", "flow_runs", "state", "type", "bogus_"])
    ]


def test_limit_over_200_is_422(http):
    r = http.post("flow_runs/filter", json={"limit": 500})
    assert r.status_code == 422
    assert r.json() == {"detail": "Invalid limit: must be less than or equal to 200."}
    assert http.post("flow_runs/filter", json={"limit": 200}).status_code == 200


def test_negative_limit_is_422(http):
    r = http.post("flow_runs/filter", json={"limit": -1})
    assert r.status_code == 422
    assert r.json() == {"detail": "Invalid limit: must be greater than or equal to 0."}


def test_bad_uuid_in_path_is_404_not_found(http):
    for path in ("flow_runs/not-a-uuid", "flows/123", "task_runs/zzz", "deployments/nope"):
        r = http.get(path)
        assert r.status_code == 404, path
        assert r.json() == {"detail": "Not Found"}, path


def test_unknown_uuid_is_404_with_object_message(http):
    r = http.get(f"flow_runs/{uuid.uuid4()}")
    assert r.status_code == 404
    assert r.json() == {"detail": "Flow run not found"}


def test_csrf_token_when_disabled(http):
    r = http.get("csrf-token", params={"client": "compat"})
    assert r.status_code == 422
    assert r.json() == {"detail": "CSRF protection is disabled."}


def test_csrf_token_without_client_param_is_validation_error(http):
    r = http.get("csrf-token")
    assert r.status_code == 422
    body = r.json()
    assert body["exception_message"] == "Invalid request received."
    assert [(d["type"], d["loc"]) for d in body["exception_detail"]] == [("missing", ["query", "client"])]


def test_deployment_default_parameter_openapi_schema(http):
    suffix = uuid.uuid4().hex[:10]
    flow_id = http.post("flows/", json={"name": f"schema-default-{suffix}"}).json()["id"]
    r = http.post("deployments/", json={"name": f"d-{suffix}", "flow_id": flow_id})
    assert r.status_code == 201
    assert r.json()["parameter_openapi_schema"] == {}
    assert http.get(f"deployments/{r.json()['id']}").json()["parameter_openapi_schema"] == {}
