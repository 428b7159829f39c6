"""Weir against the reference server, side by side, in one run.

Starts both servers on fresh databases, seeds the same deterministic dataset into each through the
public API (flows, work pools and queues, deployments, N flow runs over every state with tags,
parameters, times and task runs), then measures:

- time from process start to a healthy /api/health;
- flow run creation and state transitions per second through the API, with 8 concurrent writers;
- requests per second and p50/p99 latency of a fixed suite of Read Flow Runs bodies and count, with
  1 and 8 concurrent keep-alive clients for a fixed time each;
- idle and peak RSS of each server (the whole process tree).

Prints one table with the ratio per row and writes bench/results/<stamp>.json (and a PNG chart when
matplotlib is installed). Usage: bench/run [--n 2000] [--seconds 5] [--seed 7]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
STATES = ["SCHEDULED", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "CRASHED", "PAUSED", "CANCELLING"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss_kib(pid: int) -> int:
    """RSS of a process and its descendants, in KiB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except OSError:
                continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
        stack.extend(children.get(p, []))
    return total


class Server:
    """A server process with its start time, URL and RSS sampling."""

    def __init__(self, name: str, cmd: list[str], env: dict, home: Path, port: int):
        self.name, self.home = name, home
        self.url = f"http://127.0.0.1:{port}/api"
        self.log = open(home / "server.log", "wb")
        started = time.monotonic()
        self.proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() - started > 300:
                raise RuntimeError(f"{name} did not start: {(home / 'server.log').read_text()[-2000:]}")
            time.sleep(0.01)
        self.startup_seconds = time.monotonic() - started
        self.peak_rss = 0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self):
        while not self._stop.is_set():
            self.peak_rss = max(self.peak_rss, tree_rss_kib(self.proc.pid))
            time.sleep(0.2)

    def rss(self) -> int:
        return tree_rss_kib(self.proc.pid)

    def stop(self):
        self._stop.set()
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()
        shutil.rmtree(self.home, ignore_errors=True)


def start_weir(binary: Path) -> Server:
    home = Path(tempfile.mkdtemp(prefix="bench-weir-"))
    port = free_port()
    return Server("weir", [str(binary), "serve", "--port", str(port)], {"WEIR_HOME": str(home), "LOG_LEVEL": "error"}, home, port)


def start_reference() -> Server:
    home = Path(tempfile.mkdtemp(prefix="bench-ref-"))
    port = free_port()
    prefect = str(Path(sys.executable).parent / "prefect")
    env = {"PREFECT_HOME": str(home / "prefect"), "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/ref.db",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_UI_ENABLED": "false", "PREFECT_SERVER_LOGGING_LEVEL": "WARNING"}
    return Server("reference", [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-services", "--no-ui", "--analytics-off"], env, home, port)


BUSY = {"count": 0}
BUSY_LOCK = threading.Lock()


def post(http: httpx.Client, path: str, body) -> dict:
    """POSTs until it succeeds; a 503 ("busy, retry") is counted and retried with backoff."""
    for attempt in range(200):
        r = http.post(path, json=body)
        if r.status_code in (200, 201):
            return r.json()
        if r.status_code != 503:
            raise RuntimeError(f"{path} {r.status_code} {r.text[:300]}")
        with BUSY_LOCK:
            BUSY["count"] += 1
        time.sleep(min(1.0, 0.02 * (attempt + 1)))
    raise RuntimeError(f"{path}: still 503")


def seed(server: Server, n: int, seed_value: int) -> dict:
    """Seeds the dataset; returns creation and transition throughput (8 writers) and failures."""
    rng = random.Random(seed_value)
    BUSY["count"] = 0
    http = httpx.Client(base_url=server.url, timeout=120)
    flows = [post(http, "/flows/", {"name": f"flow-{i:02d}", "tags": [f"team-{i % 4}"]})["id"] for i in range(20)]
    for p in range(10):
        post(http, "/work_pools/", {"name": f"pool-{p}", "type": "process"})
        post(http, f"/work_pools/pool-{p}/queues", {"name": "high"})
    deployments = [post(http, "/deployments/", {"name": f"dep-{d:02d}", "flow_id": flows[d % 20], "work_pool_name": f"pool-{d % 10}",
                                                  "tags": [f"env-{d % 3}"], "parameters": {"d": d}})["id"] for d in range(40)]
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    plans = []
    for i in range(n):
        state = STATES[rng.randrange(len(STATES))]
        body = {"flow_id": flows[rng.randrange(20)], "name": f"run-{i:07d}", "tags": rng.sample(["prod", "dev", "eu", "us", "nightly", "adhoc"], rng.randint(0, 3)),
                "parameters": {"i": i, "x": rng.random()}, "state": {"type": "SCHEDULED", "state_details": {"scheduled_time": (base + dt.timedelta(minutes=i)).isoformat()}}}
        if rng.random() < 0.3:
            body["work_pool_name"] = f"pool-{rng.randrange(10)}"
        plans.append((body, state, rng.random() < 0.2, rng.random() < 0.4))

    def create(plan):
        body, state, from_deployment, with_tasks = plan
        client = local.client
        if from_deployment:
            dep = deployments[int(body["name"][4:]) % 40]
            run = post(client, f"/deployments/{dep}/create_flow_run", {"name": body["name"], "tags": body["tags"], "state": body["state"]})
        else:
            run = post(client, "/flow_runs/", body)
        return run["id"], state, with_tasks

    def transition(item):
        run_id, state, with_tasks = item
        client = local.client
        steps = {"SCHEDULED": [], "PENDING": ["PENDING"], "RUNNING": ["PENDING", "RUNNING"], "PAUSED": ["PENDING", "RUNNING", "PAUSED"],
                 "CANCELLING": ["PENDING", "RUNNING", "CANCELLING"]}.get(state, ["PENDING", "RUNNING", state])
        for s in steps:
            post(client, f"/flow_runs/{run_id}/set_state", {"state": {"type": s}, "force": True})
        if with_tasks:
            task = post(client, "/task_runs/", {"name": "t", "flow_run_id": run_id, "task_key": "t", "dynamic_key": "0", "state": {"type": "PENDING"}})
            post(client, f"/task_runs/{task['id']}/set_state", {"state": {"type": "COMPLETED" if state == "COMPLETED" else "FAILED"}, "force": True})
        return len(steps)

    local = threading.local()

    def init():
        local.client = httpx.Client(base_url=server.url, timeout=120)

    with cf.ThreadPoolExecutor(8, initializer=init) as pool:
        t0 = time.monotonic()
        created = list(pool.map(create, plans))
        create_seconds = time.monotonic() - t0
        t0 = time.monotonic()
        transitions = sum(pool.map(transition, created))
        transition_seconds = time.monotonic() - t0
    return {"runs_per_second": n / create_seconds, "transitions_per_second": transitions / transition_seconds,
            "busy_503_answers": BUSY["count"], "deployments": deployments}


def suite(deployment: str) -> list[tuple[str, str, dict]]:
    """The fixed Read Flow Runs bodies (and count)."""
    return [
        ("default body", "/flow_runs/filter", {}),
        ("limit 200, EXPECTED_START_TIME_DESC", "/flow_runs/filter", {"limit": 200, "sort": "EXPECTED_START_TIME_DESC"}),
        ("state type any_", "/flow_runs/filter", {"flow_runs": {"state": {"type": {"any_": ["FAILED", "CRASHED"]}}}, "limit": 50}),
        ("tags all_", "/flow_runs/filter", {"flow_runs": {"tags": {"all_": ["prod", "eu"]}}, "limit": 50}),
        ("flow name like_", "/flow_runs/filter", {"flows": {"name": {"like_": "flow-1"}}, "limit": 50}),
        ("deployment filter", "/flow_runs/filter", {"deployments": {"id": {"any_": [deployment]}}, "limit": 50}),
        ("work pool filter", "/flow_runs/filter", {"work_pools": {"name": {"any_": ["pool-3"]}}, "limit": 50}),
        ("task run state filter", "/flow_runs/filter", {"task_runs": {"state": {"type": {"any_": ["FAILED"]}}}, "limit": 50}),
        ("start_time window, START_TIME_DESC", "/flow_runs/filter", {"flow_runs": {"start_time": {"after_": "2026-01-01T00:00:00Z", "before_": "2026-01-02T00:00:00Z"}}, "sort": "START_TIME_DESC", "limit": 50}),
        ("deep offset", "/flow_runs/filter", {"offset": 1000, "limit": 50, "sort": "NAME_ASC"}),
        ("count", "/flow_runs/count", {"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}),
    ]


def parse_duration_ms(text: str) -> float:
    """wrk's `1.23ms`, `456.00us`, `2.01s` in milliseconds."""
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def load(url: str, path: str, body: dict, clients: int, seconds: float) -> dict:
    """`wrk` when installed (the Python generator below tops out near a thousand requests/s)."""
    if shutil.which("wrk"):
        return load_wrk(url, path, body, clients, seconds)
    return load_python(url, path, body, clients, seconds)


def load_wrk(url: str, path: str, body: dict, clients: int, seconds: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
        script.write("wrk.body = " + json.dumps(json.dumps(body)) + "\n")
    try:
        out = subprocess.run(["wrk", "-t", str(min(clients, 2)), "-c", str(clients), "-d", f"{max(1, round(seconds))}s", "--latency", "-s", script.name, url + path],
                             capture_output=True, text=True, timeout=seconds + 60).stdout
    finally:
        os.unlink(script.name)
    result = {"rps": 0.0, "p50_ms": float("nan"), "p99_ms": float("nan"), "requests": 0, "errors": 0, "generator": "wrk"}
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(parts[1])
        elif len(parts) == 2 and parts[0] == "50%":
            result["p50_ms"] = parse_duration_ms(parts[1])
        elif len(parts) == 2 and parts[0] == "99%":
            result["p99_ms"] = parse_duration_ms(parts[1])
        elif "requests in" in line:
            result["requests"] = int(parts[0])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            result["errors"] = int(parts[-1])
    return result


def load_python(url: str, path: str, body: dict, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker():
        nonlocal errors
        mine, bad = [], 0
        with httpx.Client(base_url=url, timeout=60) as http:
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                r = http.post(path, json=body)
                mine.append(time.perf_counter() - t0)
                bad += r.status_code != 200
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    latencies.sort()
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")
    return {"rps": len(latencies) / elapsed, "p50_ms": q(0.5), "p99_ms": q(0.99), "requests": len(latencies), "errors": errors}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="flow runs to seed")
    ap.add_argument("--seconds", type=float, default=5, help="duration of each load step")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--weir", default=str(REPO / ".build" / "release" / "weir"))
    args = ap.parse_args()

    results: dict = {"n": args.n, "seconds": args.seconds, "seed": args.seed, "when": dt.datetime.now(dt.timezone.utc).isoformat(), "servers": {}}
    servers = {}
    for name, start in [("weir", lambda: start_weir(Path(args.weir))), ("reference", start_reference)]:
        print(f"[{name}] starting", flush=True)
        s = start()
        servers[name] = s
        time.sleep(1)
        results["servers"][name] = {"startup_seconds": s.startup_seconds, "idle_rss_kib": s.rss()}
    try:
        deployment_ids = {}
        for name, s in servers.items():
            print(f"[{name}] seeding {args.n} runs", flush=True)
            seeded = seed(s, args.n, args.seed)
            deployment_ids[name] = seeded.pop("deployments")
            results["servers"][name].update(seeded)
        rows = []
        for index, (label, path, _) in enumerate(suite("")):
            for clients in (1, 8):
                row = {"body": label, "clients": clients}
                for name, s in servers.items():
                    body = suite(deployment_ids[name][3])[index][2]
                    print(f"[{name}] {label} x{clients}", flush=True)
                    row[name] = load(s.url, path, body, clients, args.seconds)
                rows.append(row)
        results["rows"] = rows
        for name, s in servers.items():
            results["servers"][name]["peak_rss_kib"] = s.peak_rss
    finally:
        for s in servers.values():
            s.stop()

    out_dir = REPO / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (out_dir / f"{stamp}.json").write_text(json.dumps(results, indent=1))
    print_table(results)
    chart(results, out_dir / f"{stamp}.png")
    print(f"\nwrote bench/results/{stamp}.json")


def print_table(r: dict) -> None:
    w, ref = r["servers"]["weir"], r["servers"]["reference"]
    print(f"\nN = {r['n']} flow runs, {r['seconds']} s per step")
    print(f"{'measure':52} {'weir':>12} {'reference':>12} {'ratio':>8}")
    def line(label, a, b, better_low=False):
        ratio = (b / a if better_low else a / b) if a and b else float("nan")
        print(f"{label:52} {a:12.2f} {b:12.2f} {ratio:7.1f}x")
    line("start to healthy (s, lower is better)", w["startup_seconds"], ref["startup_seconds"], True)
    line("idle RSS (MiB, lower is better)", w["idle_rss_kib"] / 1024, ref["idle_rss_kib"] / 1024, True)
    line("peak RSS (MiB, lower is better)", w["peak_rss_kib"] / 1024, ref["peak_rss_kib"] / 1024, True)
    line("flow runs created per second (8 writers)", w["runs_per_second"], ref["runs_per_second"])
    line("state transitions per second (8 writers)", w["transitions_per_second"], ref["transitions_per_second"])
    print(f"{'503 busy answers while seeding (retried)':52} {w['busy_503_answers']:12d} {ref['busy_503_answers']:12d}")
    for row in r["rows"]:
        a, b = row["weir"], row["reference"]
        line(f"{row['body']} x{row['clients']} req/s", a["rps"], b["rps"])
        line(f"{row['body']} x{row['clients']} p99 ms (lower is better)", a["p99_ms"], b["p99_ms"], True)


def chart(r: dict, path: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no chart)")
        return
    rows = [row for row in r["rows"] if row["clients"] == 8]
    labels = [row["body"] for row in rows]
    ratios = [row["weir"]["rps"] / row["reference"]["rps"] if row["reference"]["rps"] else 0 for row in rows]
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.barh(labels, ratios)
    ax.axvline(30, linestyle="--", color="red", label="target 30x")
    ax.set_xlabel("weir / reference requests per second, 8 clients")
    ax.set_title(f"Read Flow Runs, N = {r['n']}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
