"""PREFECT_SERVER_API_AUTH_STRING against a real weir, as an attacker and as a user would try it:
every request needs HTTP basic credentials except exactly `GET /api/health` and `GET /api/ready`
(raw paths sent byte for byte, crafted ones included), every websocket needs the `prefect`
subprotocol and the token in its first frame, and the unchanged client and SDK work with
PREFECT_API_AUTH_STRING and are refused without it.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import websockets

from servers import weir_server_process

SECRET = "admin:pa55 word:é"
SCENARIOS = Path(__file__).parent / "flows" / "scenarios.py"


@pytest.fixture(scope="module")
def secured():
    with weir_server_process(PREFECT_SERVER_API_AUTH_STRING=SECRET) as url:
        yield url


def raw(url: str, method: str, path: str, authorization: str | None = None) -> tuple[int, bytes]:
    """One request with `path` sent exactly as written (no client-side normalisation)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        if authorization is not None:
            conn.putheader("Authorization", authorization)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def test_only_the_exact_probe_paths_skip_credentials(secured):
    for path in ["/api/health", "/api/ready", "/api/health?x=1"]:
        assert raw(secured, "GET", path)[0] == 200, path
    crafted = ["/api/flows/name/health", "/api/work_pools/health", "/api/deployments/name/x/health", "/api/x/health",
               "/api/health/", "//api/health", "/api//health", "/api/%68ealth", "/api%2Fhealth", "/api/HEALTH",
               "/api/./health", "/api/x/../health", "/health", "/api/ready/", "/api/flows/name/ready", "/api/hello"]
    for path in crafted:
        status, body = raw(secured, "GET", path)
        assert status == 401 and json.loads(body) == {"exception_message": "Unauthorized"}, (path, status, body)
    for method in ["HEAD", "POST", "PUT", "DELETE", "OPTIONS"]:
        for path in ["/api/health", "/api/ready"]:
            assert raw(secured, method, path)[0] == 401, (method, path)


def test_a_flow_named_health_is_not_readable_without_credentials(secured):
    auth = basic(SECRET)
    with httpx.Client(base_url=secured, headers={"Authorization": auth}) as http:
        assert http.post("/flows/", json={"name": "health"}).status_code in (200, 201)
    assert raw(secured, "GET", "/api/flows/name/health")[0] == 401
    status, body = raw(secured, "GET", "/api/flows/name/health", auth)
    assert status == 200 and json.loads(body)["name"] == "health"
    for header in [basic("admin:pa55 word:e"), basic(SECRET + " "), "basic " + auth.split()[1], "Bearer " + auth.split()[1],
                   auth + " extra", "Basic", ""]:
        assert raw(secured, "GET", "/api/flows/name/health", header)[0] == 401, header


async def _ws(url: str, path: str, subprotocols, first: str | None) -> str:
    """What a websocket client sees: the server's first answer or how the connection ended."""
    try:
        async with websockets.connect(url.replace("http://", "ws://") + path, subprotocols=subprotocols, open_timeout=10) as ws:
            if first is not None:
                await ws.send(first)
            try:
                return await asyncio.wait_for(ws.recv(), 5)
            except websockets.ConnectionClosed as closed:
                return f"closed {closed.rcvd.code} {closed.rcvd.reason}"
    except websockets.InvalidStatus as refused:
        return f"refused {refused.response.status_code}"


@pytest.mark.parametrize("path", ["/events/in", "/events/out", "/events/in/"])
def test_websockets_need_the_token(secured, path):
    def frame(**fields) -> str:
        return json.dumps({"type": "auth", **fields})

    assert asyncio.run(_ws(secured, path, ["prefect"], frame(token=SECRET))) == '{"type":"auth_success"}'
    assert asyncio.run(_ws(secured, path, ["prefect"], frame(token=SECRET[:-1]))) == "closed 1008 Invalid token"
    assert asyncio.run(_ws(secured, path, ["prefect"], frame(token=None))) == "closed 1008 Auth required but no token provided"
    assert asyncio.run(_ws(secured, path, ["prefect"], frame())) == "closed 1008 Auth required but no token provided"
    assert asyncio.run(_ws(secured, path, ["prefect"], json.dumps({"type": "event"}))) == "closed 1008 Expected 'auth' message"
    # Without the subprotocol there is no handshake to check: refused when auth is configured.
    assert asyncio.run(_ws(secured, path, None, frame(token=SECRET))).startswith("refused 4")


def _client_call(url: str, auth_string: str | None) -> subprocess.CompletedProcess:
    code = "from prefect.client.orchestration import get_client\n" \
           "with get_client(sync_client=True) as c:\n" \
           "    print('FLOWS', len(c.read_flows(limit=5)))\n"
    env = dict(os.environ, PREFECT_API_URL=url)
    env.pop("PREFECT_API_AUTH_STRING", None)
    if auth_string is not None:
        env["PREFECT_API_AUTH_STRING"] = auth_string
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_the_real_client_with_and_without_the_auth_string(secured):
    ok = _client_call(secured, SECRET)
    assert ok.returncode == 0 and "FLOWS" in ok.stdout, ok.stderr[-2000:]
    refused = _client_call(secured, None)
    assert refused.returncode != 0 and "401" in refused.stderr, refused.stderr[-2000:]
    wrong = _client_call(secured, "admin:nope")
    assert wrong.returncode != 0 and "401" in wrong.stderr


def test_a_flow_runs_and_reports_its_tasks_with_the_auth_string(secured):
    """The SDK authenticates its HTTP calls and its events websocket: task runs reach weir only
    through the events it sends."""
    tag = f"auth-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, PREFECT_API_URL=secured, PREFECT_API_AUTH_STRING=SECRET, PREFECT_RESULTS_PERSIST_BY_DEFAULT="false")
    proc = subprocess.run([sys.executable, str(SCENARIOS), "basic", tag], env=env, capture_output=True, text=True, timeout=240,
                          cwd=SCENARIOS.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with httpx.Client(base_url=secured, headers={"Authorization": basic(SECRET)}, timeout=10) as http:
        runs = http.post("/flow_runs/filter", json={"flow_runs": {"tags": {"all_": [tag]}}}).json()
        assert [r["state_type"] for r in runs] == ["COMPLETED"]
        for _ in range(100):
            tasks = http.post("/task_runs/filter", json={"flow_runs": {"id": {"any_": [runs[0]["id"]]}}}).json()
            if tasks and all(t["state_type"] == "COMPLETED" for t in tasks):
                break
            asyncio.run(asyncio.sleep(0.1))
        assert tasks and all(t["state_type"] == "COMPLETED" for t in tasks), tasks


def test_without_an_auth_string_legacy_websockets_need_no_handshake(api_url):
    """No auth configured and no `prefect` subprotocol: the reference's legacy mode, no auth frame."""
    async def go():
        async with websockets.connect(api_url.replace("http://", "ws://") + "/events/out") as ws:
            await ws.send(json.dumps({"type": "filter", "filter": {"event": {"prefix": ["nothing."]}}, "backfill": False}))
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.5)  # still open, waiting for events: no auth demanded
    asyncio.run(go())
