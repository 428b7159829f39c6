"""The scheduler service, compared by outcome with the reference's: the same deployments and
schedules on a reference running its scheduler and on a weir running its own, and the same runs
come out (interval and cron schedules: expected start times, idempotency keys with local times, tags, parameters, who made
them); inactive schedules and paused deployments get none; changing a schedule replaces the
future runs; with two replicas on one PostgreSQL database each run is made once."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid

import httpx

from servers import reference_server, weir_server_process

SCHEDULER = {"PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "true", "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "1",
             "PREFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS": "1"}


def _setup(h: httpx.Client, tag: str, anchor: str) -> dict[str, str]:
    """Deployments with schedules; returns names for the ids the runs mention."""
    names: dict[str, str] = {}
    flow = h.post("/flows/", json={"name": f"sched-{tag}"}).json()["id"]
    names[flow] = "@flow"
    bodies = {
        "live": {"tags": ["t"], "parameters": {"p": 0, "q": 0}, "schedules": [
            {"schedule": {"interval": 86400, "anchor_date": anchor, "timezone": "America/New_York"}, "slug": "daily", "parameters": {"p": 1}},
            {"schedule": {"interval": 7200, "anchor_date": anchor}},
            {"schedule": {"interval": 600, "anchor_date": anchor}, "active": False},
            {"schedule": {"cron": "17 */5 * * *", "timezone": "Europe/Paris"}, "slug": "cron"},
        ]},
        "paused": {"paused": True, "schedules": [{"schedule": {"interval": 3600, "anchor_date": anchor}}]},
    }
    for name, body in bodies.items():
        r = h.post("/deployments/", json={"name": name, "flow_id": flow, **body})
        assert r.status_code == 201, r.text
        d = r.json()
        names[d["id"]] = f"@deployment:{name}"
        for s in d["schedules"]:
            names[s["id"]] = f"@schedule:{name}:{s['slug'] or s['schedule']['interval']}"
    return names


def _runs(h: httpx.Client, names: dict[str, str]) -> list[dict]:
    runs = h.post("/flow_runs/filter", json={"flows": {"id": {"any_": [k for k, v in names.items() if v == "@flow"]}},
                                             "sort": "EXPECTED_START_TIME_ASC"}).json()
    def named(text: str) -> str:
        return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", lambda m: names.get(m.group(0), "<id>"), text)
    out = [{"deployment": names.get(r["deployment_id"]), "expected_start_time": r["expected_start_time"], "idempotency_key": named(r["idempotency_key"]),
            "tags": r["tags"], "parameters": r["parameters"], "created_by": {**r["created_by"], "id": names.get(r["created_by"]["id"])},
            "auto_scheduled": r["auto_scheduled"], "state": r["state_name"], "scheduled_time": r["state"]["state_details"]["scheduled_time"]}
           for r in runs]
    return sorted(out, key=lambda r: (r["expected_start_time"], r["idempotency_key"]))


def _settled(h: httpx.Client, names: dict[str, str], timeout: float = 60) -> list[dict]:
    """The runs once their number has stopped changing for three seconds."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        runs = _runs(h, names)
        if runs != last:
            last, since = runs, time.monotonic()
        elif runs and time.monotonic() - since > 3:
            return runs
        time.sleep(0.5)
    return last or []


def test_scheduler_makes_the_runs_the_reference_makes():
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    anchor = (now + dt.timedelta(hours=12, minutes=17)).isoformat()  # far from any boundary of the window
    tag = uuid.uuid4().hex[:8]
    with reference_server(scheduler=True) as ref_url, weir_server_process(**SCHEDULER) as weir_url:
        with httpx.Client(base_url=ref_url, timeout=30) as ref, httpx.Client(base_url=weir_url, timeout=30) as weir:
            ref_names, weir_names = _setup(ref, tag, anchor), _setup(weir, tag, anchor)
            expected, got = _settled(ref, ref_names), _settled(weir, weir_names)
            assert got == expected
            # Three runs of each active schedule (the scheduler's minimum), none of the paused deployment.
            assert sorted(r["created_by"]["id"] for r in got) == ["@schedule:live:7200.0"] * 3 + ["@schedule:live:cron"] * 3 + ["@schedule:live:daily"] * 3
            # Changing a schedule replaces the future auto-scheduled runs, on both.
            for h, names in ((ref, ref_names), (weir, weir_names)):
                dep = next(k for k, v in names.items() if v == "@deployment:live")
                sched = next(k for k, v in names.items() if v == "@schedule:live:daily")
                r = h.patch(f"/deployments/{dep}/schedules/{sched}", json={"active": False})
                assert r.status_code == 204, r.text
            expected, got = _settled(ref, ref_names), _settled(weir, weir_names)
            assert got == expected and sorted(r["created_by"]["display_value"] for r in got) == ["IntervalSchedule"] * 3 + ["cron"] * 3


SERVED = """
import sys
from prefect import flow

@flow
def ticking(n: int = 1):
    return n

if __name__ == "__main__":
    ticking.serve(name=sys.argv[1], interval=5, parameters={"n": 3})
"""


def test_a_served_flow_with_an_interval_runs_on_its_schedule(tmp_path):
    """`flow.serve(interval=...)` end to end: the scheduler makes the runs, the runner's poll
    picks them up and they complete."""
    import os
    import signal
    import subprocess
    import sys

    if os.environ.get("WEIR_TEST_DATABASE_URL"):
        return  # end to end on one database (the scheduler's SQL runs on both above)
    (tmp_path / "served.py").write_text(SERVED)
    with weir_server_process(**SCHEDULER) as url, httpx.Client(base_url=url, timeout=30) as h:
        env = dict(os.environ, PREFECT_API_URL=url, PREFECT_HOME=str(tmp_path / "home"))
        runner = subprocess.Popen([sys.executable, "served.py", "tick"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 90
            done: list[dict] = []
            while time.monotonic() < deadline and not done:
                runs = h.post("/flow_runs/filter", json={"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}).json()
                done = [r for r in runs if r["auto_scheduled"]]
                time.sleep(1)
        finally:
            runner.send_signal(signal.SIGTERM)
            try:
                output, _ = runner.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                runner.kill()
                output, _ = runner.communicate()
        assert done, output[-3000:]
        assert done[0]["parameters"] == {"n": 3} and done[0]["created_by"]["type"] == "SCHEDULE"
        assert done[0]["idempotency_key"].startswith(f"scheduled {done[0]['deployment_id']} ")
