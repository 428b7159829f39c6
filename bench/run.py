"""Weir against the reference server, side by side, in one run.

Seeds the same deterministic dataset (bench/dataset.py: flows, work pools and queues, deployments,
N flow runs over every state with tags, parameters, times and task runs) into both servers, then
measures:

- time from process start to a healthy /api/health (on the seeded database with --seeding bulk);
- flow run creation and state transitions per second through the API, with 8 concurrent writers
  (wrk threads running bench/writes.lua when wrk is installed, each with one keep-alive connection
  and its own runs: a 503 is counted and retried after a back-off, any other error is counted as a
  failed write; Python threads otherwise);
- requests per second and p50/p99 latency of a fixed suite of Read Flow Runs bodies and count, with
  1 and 8 concurrent keep-alive clients for --seconds each (wrk when installed), each step
  starting once both servers are idle. One warm-up request per body and server comes first; a
  step is stretched to twice that request's time per client, and beyond --max-step the body is
  measured by that one request (a server that takes over --probe-timeout on it is restarted, to
  end the query: the reference does not cancel it);
- idle and peak RSS of each server (the whole process tree);
- when `weir query-time` exists, the time Weir's SQL for each body takes on the database itself, and
  its whole answer outside HTTP.

Seeding: `--seeding api` (default) posts everything through the API, timing the creation and the
transitions; practical up to a few thousand runs, as the reference manages about 15 writes/s.
`--seeding bulk` seeds the reference's database in-process (bench/seed_reference.py) before it
starts, and Weir's with `weir import` of the dataset as NDJSON (flows, pools, queues and
deployments are created through Weir's API first, then Weir is stopped, the runs imported, and Weir
started again); creation and transitions are then measured on --api-batch extra runs through the API.

Prints the tables with the ratio per row and writes bench/results/<stamp>.json (and a PNG chart when
matplotlib is installed). Usage: bench/run [--n 2000] [--seconds 5] [--seed 7] [--seeding api|bulk]
[--api-batch 2000] [--without-reference] [--limit 200] [--only "tags all_" ...]: `--limit` sets every
Read Flow Runs body's limit (the N = 1,000,000 target is at limit 200), `--only` measures the named
bodies alone (with `--api-batch 0`, no writes: a quick re-measure of one body against the reference).

`--grown N` also measures Weir alone on a database of N runs grown through the API by the running
server (as every real installation grows), against the same database right after a restart: the
ratio per body shows whether a running server plans its queries as well as a fresh one (the query
planner's statistics must follow the growth). `--grown-only` runs just that check.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
import dataset  # noqa: E402

T0 = time.monotonic()


def step(message: str) -> None:
    """One line of progress, with the time since the start."""
    elapsed = int(time.monotonic() - T0)
    print(f"[{elapsed // 60:3d}:{elapsed % 60:02d}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_pids(pid: int) -> list[int]:
    """A process and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except OSError:
                continue
    pids, stack = [], [pid]
    while stack:
        pids.append(stack.pop())
        stack.extend(children.get(pids[-1], []))
    return pids


def tree_rss_kib(pid: int) -> int:
    """RSS of a process and its descendants, in KiB."""
    total = 0
    for p in tree_pids(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def tree_cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process and its descendants."""
    ticks = 0
    for p in tree_pids(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


class Server:
    """A server process with its start time, URL and RSS sampling."""

    def __init__(self, name: str, cmd: list[str], env: dict, home: Path, port: int, keep_home: bool = False):
        self.name, self.cmd, self.env, self.home, self.keep_home = name, cmd, env, home, keep_home
        self.url = f"http://127.0.0.1:{port}/api"
        self.log = open(home / "server.log", "ab")
        self.startup_seconds = self._launch()
        self.peak_rss = 0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _launch(self) -> float:
        """Starts the process; returns the seconds until /api/health answered."""
        started = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, env={**os.environ, **self.env}, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() - started > 300:
                raise RuntimeError(f"{self.name} did not start: {(self.home / 'server.log').read_text()[-2000:]}")
            time.sleep(0.01)

    def _sample(self):
        while not self._stop.is_set():
            self.peak_rss = max(self.peak_rss, tree_rss_kib(self.proc.pid))
            time.sleep(0.2)

    def rss(self) -> int:
        return tree_rss_kib(self.proc.pid)

    def _kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def restart(self):
        """Ends the process, and any query it is still running, and starts it again on the same database."""
        self._kill()
        self._launch()

    def stop(self):
        self._stop.set()
        self._kill()
        self.log.close()
        if not self.keep_home:
            shutil.rmtree(self.home, ignore_errors=True)


def start_weir(binary: Path, home: Path | None = None, keep: bool = False, **settings: str) -> Server:
    """`weir serve` with its database in `home` (a fresh one by default), removed when it stops unless `keep`.
    Its late-runs service is off, as the reference's services are (it would mark the dataset's past
    SCHEDULED runs Late during the measurements); `settings` adds environment settings."""
    home = home or Path(tempfile.mkdtemp(prefix="bench-weir-"))
    port = free_port()
    env = {"WEIR_HOME": str(home), "LOG_LEVEL": "error", "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false", **settings}
    return Server("weir", [str(binary), "serve", "--port", str(port)], env, home, port, keep)


def start_reference(db: Path | None = None, keep: bool = True) -> Server:
    """The reference on a fresh database, or on `db` (its directory is the home; kept when it stops unless not `keep`)."""
    keep = keep and db is not None
    home = db.parent if db else Path(tempfile.mkdtemp(prefix="bench-ref-"))
    db = db or home / "ref.db"
    port = free_port()
    prefect = str(Path(sys.executable).parent / "prefect")
    env = {"PREFECT_HOME": str(home / "prefect"), "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{db}",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_UI_ENABLED": "false", "PREFECT_SERVER_LOGGING_LEVEL": "WARNING"}
    return Server("reference", [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-services", "--no-ui", "--analytics-off"], env, home, port, keep)


RETRIED = {"busy_503_answers": 0, "connection_errors": 0}
RETRIED_LOCK = threading.Lock()


def post(http: httpx.Client, path: str, body) -> dict:
    """POSTs until it succeeds; a 503 ("busy, retry") or a dropped connection is counted and retried
    with backoff (a dropped connection may have hidden a success: the retry may then write twice)."""
    for attempt in range(200):
        try:
            r = http.post(path, json=body)
            if r.status_code in (200, 201):
                return r.json()
            if r.status_code != 503:
                raise RuntimeError(f"{path} {r.status_code} {r.text[:300]}")
            retried = "busy_503_answers"
        except httpx.TransportError:
            retried = "connection_errors"
        with RETRIED_LOCK:
            RETRIED[retried] += 1
        time.sleep(min(1.0, 0.02 * (attempt + 1)))
    raise RuntimeError(f"{path}: still failing after 200 attempts")


def create_resources(server: Server) -> dataset.Ids:
    """The dataset's flows, work pools and queues and deployments, through the API."""
    http = httpx.Client(base_url=server.url, timeout=120)
    flows = {f["name"]: post(http, "/flows/", f)["id"] for f in dataset.FLOWS}
    for p in dataset.WORK_POOLS:
        post(http, "/work_pools/", {"name": p["name"], "type": p["type"]})
        for q in p["queues"]:
            post(http, f"/work_pools/{p['name']}/queues", {"name": q})
    deployments = {d["name"]: post(http, "/deployments/", {
        "name": d["name"], "flow_id": flows[d["flow"]], "work_pool_name": d["work_pool"], "work_queue_name": d["work_queue"],
        "tags": d["tags"], "parameters": d["parameters"]})["id"] for d in dataset.DEPLOYMENTS}
    return dataset.Ids(flows, deployments)


def create_request(run: dataset.FlowRunRecord, ids: dataset.Ids) -> tuple[str, dict]:
    """The path and body that create `run` in SCHEDULED, through its deployment when it has one."""
    body = {"name": run.name, "tags": run.tags, "parameters": run.parameters,
            "state": {"type": "SCHEDULED", "state_details": {"scheduled_time": dataset.iso(run.expected_start_time)}}}
    if run.deployment:
        return f"/deployments/{ids.deployments[run.deployment]}/create_flow_run", body
    if run.work_pool:
        body |= {"work_pool_name": run.work_pool, "work_queue_name": run.work_queue}
    return "/flow_runs/", body | {"flow_id": ids.flows[run.flow]}


def flow_run_steps(run: dataset.FlowRunRecord) -> list[str]:
    """The states a run created SCHEDULED passes through to reach its dataset state."""
    return {"SCHEDULED": [], "PENDING": ["PENDING"], "RUNNING": ["PENDING", "RUNNING"]}.get(run.state_type, ["PENDING", "RUNNING", run.state_type])


def task_run_body(task, run_id: str) -> dict:
    return {"name": task.name, "flow_run_id": run_id, "task_key": task.task_key, "dynamic_key": "0", "state": {"type": "PENDING"}}


WRITERS = 8


def api_runs(server: Server, runs: list[dataset.FlowRunRecord], ids: dataset.Ids) -> dict:
    """Creates the runs through the API with 8 writers, then moves each to its state (and adds its task
    runs); returns creations and state transitions (set_state calls) per second, the 503 answers
    (retried) and the failed writes. `wrk` generates the load when installed (the Python client
    costs more CPU per request than Weir does, on the same 2 cores), the Python client otherwise."""
    if shutil.which("wrk"):
        return api_runs_wrk(server, runs, ids)
    return api_runs_python(server, runs, ids)


def api_runs_wrk(server: Server, runs: list[dataset.FlowRunRecord], ids: dataset.Ids) -> dict:
    """Writer i (a wrk thread with one keep-alive connection) creates runs i, i + 8, ...; then, in a
    second wrk run, moves each of those runs through its states and adds its task runs, in order."""
    shares = [runs[i::WRITERS] for i in range(WRITERS)]
    created = run_writes(server.url, [[("c", "/api" + path, body) for path, body in (create_request(run, ids) for run in share)] for share in shares])
    lists = []
    for share, run_ids in zip(shares, created["ids"]):
        ops = []
        for run, run_id in zip(share, run_ids):
            if not run_id:
                continue
            ops += [("s", f"/api/flow_runs/{run_id}/set_state", {"state": {"type": s}, "force": True}) for s in flow_run_steps(run)]
            for task in run.task_runs:
                ops.append(("t", "/api/task_runs/", task_run_body(task, run_id)))
                ops += [("s", "/api/task_runs/{TASK}/set_state", {"state": {"type": s}, "force": True}) for s in ("RUNNING", task.state_type)]
        lists.append(ops)
    moved = run_writes(server.url, lists)
    return {"runs_per_second": sum(1 for share in created["ids"] for i in share if i) / created["seconds"],
            "transitions_per_second": moved["transitions"] / moved["seconds"],
            "create_seconds": created["seconds"], "transition_seconds": moved["seconds"], "transitions": moved["transitions"],
            "busy_503_answers": created["busy"] + moved["busy"], "failed_writes": created["failed"] + moved["failed"],
            "connection_errors": created["socket_errors"] + moved["socket_errors"], "write_generator": "wrk"}


def run_writes(url: str, lists: list[list[tuple[str, str, dict]]], limit: float = 3600) -> dict:
    """Runs bench/writes.lua over one list of (kind, path, body) requests per wrk thread; returns the
    created ids per thread, the requests answered 503 and failed, the transitions and the seconds
    from the first request to the last answer."""
    with tempfile.TemporaryDirectory(prefix="bench-writes-") as tmp:
        folder = Path(tmp)
        for i, ops in enumerate(lists):
            with open(folder / f"ops-{i}.txt", "w") as out:
                for kind, path, body in ops:
                    out.write(f"{kind}\t{path}\t{json.dumps(body)}\n")
        results = [folder / f"result-{i}.txt" for i in range(len(lists))]
        wrk = subprocess.Popen(["wrk", "-t", str(len(lists)), "-c", str(len(lists)), "-d", f"{int(limit)}s", "--timeout", "120s",
                                "-s", str(REPO / "bench" / "writes.lua"), url, "--", str(folder)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + limit
        while wrk.poll() is None and not all(r.exists() for r in results) and time.monotonic() < deadline:
            time.sleep(0.02)
        wrk.send_signal(signal.SIGINT)  # wrk otherwise sleeps out its whole duration
        out, err = wrk.communicate(timeout=60)
        if not all(r.exists() for r in results):
            raise RuntimeError(f"bench/writes.lua did not finish in {limit:.0f} s: {out[-500:]} {err[-2000:]}")
        if err.strip():
            step(f"wrk: {err.strip()[:600]}")
        starts, ends, ids = [], [], []
        total = {"busy": 0, "failed": 0, "transitions": 0}
        for r in results:
            head, *lines = r.read_text().splitlines()
            start, end, _answered, busy, failed, transitions = head.split()
            starts.append(float(start))
            ends.append(float(end))
            total["busy"] += int(busy)
            total["failed"] += int(failed)
            total["transitions"] += int(transitions)
            ids.append(lines)
        socket_errors = 0
        for line in out.splitlines():
            if line.strip().startswith("Socket errors:"):
                socket_errors = sum(int(part.split()[-1]) for part in line.split(":", 1)[1].split(","))
        return total | {"ids": ids, "seconds": max(ends) - min(starts), "socket_errors": socket_errors}


def api_runs_python(server: Server, runs: list[dataset.FlowRunRecord], ids: dataset.Ids) -> dict:
    RETRIED.update(busy_503_answers=0, connection_errors=0)
    local = threading.local()

    def init():
        local.client = httpx.Client(base_url=server.url, timeout=120)

    def create(run: dataset.FlowRunRecord) -> str:
        return post(local.client, *create_request(run, ids))["id"]

    def transition(item: tuple[str, dataset.FlowRunRecord]) -> int:
        run_id, run = item
        steps = flow_run_steps(run)
        for s in steps:
            post(local.client, f"/flow_runs/{run_id}/set_state", {"state": {"type": s}, "force": True})
        for task in run.task_runs:
            task_id = post(local.client, "/task_runs/", task_run_body(task, run_id))["id"]
            for s in ("RUNNING", task.state_type):
                post(local.client, f"/task_runs/{task_id}/set_state", {"state": {"type": s}, "force": True})
        return len(steps) + 2 * len(run.task_runs)

    with cf.ThreadPoolExecutor(WRITERS, initializer=init) as pool:
        t0 = time.monotonic()
        created = list(pool.map(create, runs))
        create_seconds = time.monotonic() - t0
        t0 = time.monotonic()
        transitions = sum(pool.map(transition, zip(created, runs)))
        transition_seconds = time.monotonic() - t0
    return {"runs_per_second": len(runs) / create_seconds, "transitions_per_second": transitions / transition_seconds,
            "failed_writes": 0, "write_generator": "python", **RETRIED}


def seed_bulk_reference(n: int, seed_value: int) -> tuple[Path, float]:
    """Seeds a fresh reference database in-process (a child Python); returns its path and the seconds taken."""
    db = Path(tempfile.mkdtemp(prefix="bench-ref-")) / "ref.db"
    t0 = time.monotonic()
    subprocess.run([sys.executable, str(BENCH / "seed_reference.py"), "--db", str(db), "--n", str(n), "--seed", str(seed_value)], check=True)
    return db, time.monotonic() - t0


def seed_bulk_weir(binary: Path, n: int, seed_value: int) -> tuple[Path, dict]:
    """Creates the small resources through a first `weir serve`, stops it, and imports the runs as NDJSON."""
    home = Path(tempfile.mkdtemp(prefix="bench-weir-"))
    server = start_weir(binary, home, keep=True)
    ids = create_resources(server)
    server.stop()
    t0 = time.monotonic()
    ndjson = home / "runs.ndjson"
    dataset.write_ndjson(str(ndjson), n, seed_value, ids, lambda k: step(f"weir: {k} runs written"))
    timings = {"ndjson_seconds": time.monotonic() - t0}
    step(f"weir: importing {ndjson.stat().st_size / 2**20:.0f} MiB of NDJSON")
    t0 = time.monotonic()
    subprocess.run([str(binary), "import", "--database-url", sqlite_url(home / "weir.db"), str(ndjson)], check=True)
    timings["import_seconds"] = time.monotonic() - t0
    ndjson.unlink()
    return home, timings


def sqlite_url(path: Path) -> str:
    """`sqlite:///` followed by the absolute path without its leading slash, as Weir reads it."""
    return "sqlite:///" + str(path.resolve()).lstrip("/")


def weir_query_time(binary: Path, db: Path, body: dict, count: bool) -> dict:
    """`weir query-time`: {"sql_ms", "total_ms"} for one body, straight on the database."""
    cmd = [str(binary), "query-time", "--database-url", sqlite_url(db), "--body", json.dumps(body), "--repeat", "20"]
    out = subprocess.run(cmd + (["--count"] if count else []), capture_output=True, text=True, timeout=900, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def has_subcommand(binary: Path, name: str) -> bool:
    """Whether `weir NAME --help` describes NAME (an unknown name falls through to `serve`'s help)."""
    out = subprocess.run([str(binary), name, "--help"], capture_output=True, text=True)
    return out.returncode == 0 and f"weir {name}" in out.stdout


def suite(deployment: str, limit: int | None = None) -> list[tuple[str, str, dict]]:
    """The fixed Read Flow Runs bodies (and count); `limit` replaces every Read Flow Runs body's limit."""
    bodies = [
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
    if limit is not None:
        bodies = [(label, path, body | {"limit": limit} if path.endswith("/filter") else body) for label, path, body in bodies]
    return bodies


def parse_duration_ms(text: str) -> float:
    """wrk's `1.23ms`, `456.00us`, `2.01s` in milliseconds."""
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def settle(servers: dict[str, Server], limit: float = 900) -> None:
    """Waits until no server uses more than a tenth of a core: a request a load step gave up on may
    still be running (the reference does not cancel queries), and would slow down the next step."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = {name: tree_cpu_seconds(s.proc.pid) for name, s in servers.items()}
        time.sleep(1)
        busy = [name for name, s in servers.items() if tree_cpu_seconds(s.proc.pid) - before[name] > 0.1]
        if not busy:
            return
    step(f"still busy after {limit:.0f} s: {', '.join(busy)}")


def probe(url: str, path: str, body: dict, timeout: float) -> float | None:
    """Seconds one request takes (None when it takes over `timeout`); also warms the server up."""
    t0 = time.perf_counter()
    try:
        httpx.post(url + path, json=body, timeout=timeout)  # an error answer shows in the load step's errors
    except httpx.TimeoutException:
        return None
    return time.perf_counter() - t0


def one_request(seconds: float | None) -> dict:
    """A load step's result for a body too slow to load: the single probe request (or its time-out)."""
    if seconds is None:
        return {"rps": 0.0, "p50_ms": float("nan"), "p99_ms": float("nan"), "requests": 0, "errors": 1, "generator": "probe timed out"}
    return {"rps": 1 / seconds, "p50_ms": seconds * 1000, "p99_ms": seconds * 1000, "requests": 1, "errors": 0, "generator": "one request"}


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
        out = subprocess.run(["wrk", "-t", str(min(clients, 2)), "-c", str(clients), "-d", f"{max(1, round(seconds))}s", "--timeout", "60s", "--latency", "-s", script.name, url + path],
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
            result["errors"] += int(parts[-1])
        elif line.strip().startswith("Socket errors:"):
            result["errors"] += int(parts[-1])  # time-outs
    if not result["requests"]:
        result["p50_ms"] = result["p99_ms"] = float("nan")
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


GROWN_STATISTICS_LOOP = 5


def grown_check(binary: Path, n: int, seed_value: int, seconds: float, limit: int | None, only: list[str] | None) -> dict:
    """Weir on a database grown through the API by the running server, as every real installation
    grows, against the same database right after a restart: the suite at 8 clients on both. A
    running server must plan as well as a freshly started one (issue 12: the query planner's
    statistics stayed those of the empty database until a restart, 7.6x slower). The statistics
    service runs every GROWN_STATISTICS_LOOP seconds here (60 by default), and the check waits two
    loops after the writes, as a server that kept running would have."""
    server = start_weir(binary, keep=True, WEIR_SERVER_SERVICES_STATISTICS_LOOP_SECONDS=str(GROWN_STATISTICS_LOOP))
    rows = []
    try:
        step(f"grown: {n} runs through the API into a new database, 8 writers")
        ids = create_resources(server)
        written = api_runs(server, list(dataset.flow_runs(n, seed_value)), ids)
        step(f"grown: {written['runs_per_second']:.1f} runs/s; waiting {2 * GROWN_STATISTICS_LOOP} s for the statistics service")
        time.sleep(2 * GROWN_STATISTICS_LOOP)
        bodies = [b for b in suite(ids.deployments["dep-03"], limit) if not only or b[0] in only]
        measured: dict[str, dict] = {}
        for phase in ("grown", "restarted"):
            if phase == "restarted":
                server.restart()
            for label, path, body in bodies:
                settle({"weir": server})
                probe(server.url, path, body, 300)
                measured.setdefault(label, {})[phase] = load(server.url, path, body, 8, seconds)
                step(f"grown: {label} ({phase}): {measured[label][phase]['rps']:.1f} req/s")
        for label, _, _ in bodies:
            grown, restarted = measured[label]["grown"], measured[label]["restarted"]
            rows.append({"body": label, "grown": grown, "restarted": restarted, "ratio": ratio(grown["rps"], restarted["rps"])})
    finally:
        server.keep_home = False
        server.stop()
    return {"n": n, "statistics_loop_seconds": GROWN_STATISTICS_LOOP, "writes": written, "rows": rows}


def print_grown(grown: dict) -> None:
    print(f"\nWeir on a database grown through the API ({grown['n']} runs) vs. the same database after a restart, 8 clients")
    print(f"{'body':40} {'grown req/s':>12} {'restarted req/s':>16} {'ratio':>7}")
    for row in grown["rows"]:
        print(f"{row['body']:40} {num(row['grown']['rps'], 12)} {num(row['restarted']['rps'], 16)} {num(row['ratio'], 7, 'x')}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="flow runs to seed")
    ap.add_argument("--seconds", type=float, default=5, help="duration of each load step")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--seeding", choices=["api", "bulk"], default="api", help="through the API, or in bulk before the servers start")
    ap.add_argument("--api-batch", type=int, default=2000, help="with bulk seeding: runs created through the API to measure writes (0: no write measurement)")
    ap.add_argument("--max-step", type=float, default=120, help="longest load step: a body too slow to complete a few requests "
                    "per client in it is measured by its one warm-up request")
    ap.add_argument("--probe-timeout", type=float, default=300, help="seconds to wait for the one request that precedes each body's load steps")
    ap.add_argument("--limit", type=int, help="the limit of every Read Flow Runs body (the suite's own limits otherwise; the N = 1,000,000 target uses 200)")
    ap.add_argument("--only", action="append", help="measure only this body (by its label; repeatable)")
    ap.add_argument("--without-reference", action="store_true", help="measure Weir alone (for sizes the reference cannot take)")
    ap.add_argument("--weir", default=str(REPO / ".build" / "release" / "weir"))
    ap.add_argument("--grown", type=int, default=0, metavar="N",
                    help="also measure Weir on a database of N runs grown through the API by the running server, "
                         "against the same database after a restart (0: skip)")
    ap.add_argument("--grown-only", action="store_true", help="run only the --grown check")
    args = ap.parse_args()
    binary = Path(args.weir)
    names = ["weir"] if args.without_reference else ["weir", "reference"]

    results: dict = {"n": args.n, "seconds": args.seconds, "seed": args.seed, "seeding": args.seeding, "limit": args.limit, "only": args.only,
                     "when": dt.datetime.now(dt.timezone.utc).isoformat(), "servers": {name: {} for name in names}}
    servers: dict[str, Server] = {}
    if args.grown_only:
        if not args.grown:
            sys.exit("--grown-only needs --grown N")
        results["grown"] = grown_check(binary, args.grown, args.seed, args.seconds, args.limit, args.only)
        save_results(results, chart_it=False)
        return
    try:
        if args.seeding == "api":
            starts = {"weir": lambda: start_weir(binary), "reference": start_reference}
        else:
            if not has_subcommand(binary, "import"):
                sys.exit(f"{binary} has no `import` command: --seeding bulk needs it")
            step(f"weir: creating flows, pools, deployments; writing and importing {args.n} runs")
            weir_home, timings = seed_bulk_weir(binary, args.n, args.seed)
            results["servers"]["weir"].update(timings)
            step(f"weir: NDJSON written in {timings['ndjson_seconds']:.1f} s, imported in {timings['import_seconds']:.1f} s")
            starts = {"weir": lambda: start_weir(binary, weir_home)}
            if not args.without_reference:
                step(f"reference: seeding {args.n} runs in-process")
                ref_db, seconds = seed_bulk_reference(args.n, args.seed)
                results["servers"]["reference"]["seed_seconds"] = seconds
                step(f"reference: seeded in {seconds:.1f} s")
                starts["reference"] = lambda: start_reference(ref_db, keep=False)
        for name in names:
            step(f"{name}: starting")
            servers[name] = s = starts[name]()
            time.sleep(1)
            results["servers"][name].update({"startup_seconds": s.startup_seconds, "idle_rss_kib": s.rss()})
            step(f"{name}: healthy after {s.startup_seconds:.2f} s")

        ids = {}
        for name, s in servers.items():
            if args.seeding == "api":
                step(f"{name}: seeding {args.n} runs through the API, 8 writers")
                ids[name] = create_resources(s)
                runs = list(dataset.flow_runs(args.n, args.seed))
            else:
                step(f"{name}: {args.api_batch} more runs through the API, 8 writers")
                ids[name] = dataset.Ids.from_api(s.url)
                runs = list(dataset.flow_runs(args.api_batch, args.seed + 1, prefix="api-run-"))
            if not runs:
                continue
            written = api_runs(s, runs, ids[name])
            results["servers"][name].update(written)
            step(f"{name}: {written['runs_per_second']:.1f} runs/s, {written['transitions_per_second']:.1f} transitions/s")

        rows = []
        for index, (label, path, _) in enumerate(suite("")):
            if args.only and label not in args.only:
                continue
            bodies = {name: suite(ids[name].deployments["dep-03"], args.limit)[index][2] for name in servers}
            latency = {}  # of one request alone: stretches the load steps so that they complete a few requests
            for name, s in servers.items():
                settle(servers)
                latency[name] = probe(s.url, path, bodies[name], args.probe_timeout)
                if latency[name] is None:
                    step(f"{name}: {label}: one request takes over {args.probe_timeout:.0f} s; restarting, to end it")
                    s.restart()
            for clients in (1, 8):
                row = {"body": label, "clients": clients}
                for name, s in servers.items():
                    seconds = max(args.seconds, 2 * clients * (latency[name] or math.inf))
                    if seconds > args.max_step:
                        row[name] = one_request(latency[name])
                        step(f"{name}: {label} x{clients}: too slow for a load step, one request took "
                             + (f"{latency[name]:.1f} s" if latency[name] else f"over {args.probe_timeout:.0f} s"))
                        continue
                    settle(servers)
                    row[name] = load(s.url, path, bodies[name], clients, seconds) | {"seconds": seconds}
                    step(f"{name}: {label} x{clients}: {row[name]['rps']:.1f} req/s, p99 {row[name]['p99_ms']:.1f} ms ({seconds:.0f} s)")
                rows.append(row)
        results["rows"] = rows
        for name, s in servers.items():
            results["servers"][name]["peak_rss_kib"] = s.peak_rss

        if has_subcommand(binary, "query-time"):
            for label, path, body in (b for b in suite(ids["weir"].deployments["dep-03"], args.limit) if not args.only or b[0] in args.only):
                step(f"weir: query-time {label}")
                try:
                    timing = weir_query_time(binary, servers["weir"].home / "weir.db", body, path.endswith("/count"))
                except (subprocess.SubprocessError, ValueError) as error:
                    step(f"weir: query-time failed: {error}")
                    continue
                for row in rows:
                    if row["body"] == label:
                        row["weir_sql_ms"], row["weir_total_ms"] = timing["sql_ms"], timing["total_ms"]
        else:
            results["note"] = "weir query-time not available: no raw SQL times"
            step("weir query-time not available: skipping the raw SQL times")
    finally:
        for s in servers.values():
            s.stop()
    if args.grown:
        results["grown"] = grown_check(binary, args.grown, args.seed, args.seconds, args.limit, args.only)
    save_results(results, chart_it="reference" in servers)


def save_results(results: dict, chart_it: bool) -> None:
    """Writes bench/results/<stamp>.json (and the chart), and prints the tables."""
    out_dir = REPO / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (out_dir / f"{stamp}.json").write_text(json.dumps(results, indent=1))
    if results.get("rows"):
        print_table(results)
    if results.get("grown"):
        print_grown(results["grown"])
    if chart_it:
        chart(results, out_dir / f"{stamp}.png")
    print(f"\nwrote bench/results/{stamp}.json")


def num(x: float | None, width: int, suffix: str = "") -> str:
    """A right-aligned number with two decimals, or `-` when missing."""
    text = "-" if x is None or x != x or x in (float("inf"), float("-inf")) else f"{x:.2f}{suffix}"
    return f"{text:>{width}}"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b and a == a and b == b else None


def print_table(r: dict) -> None:
    w, ref = r["servers"]["weir"], r["servers"].get("reference", {})
    how = "the API" if r.get("seeding", "api") == "api" else "bulk import"
    print(f"\nN = {r['n']} flow runs, seeded through {how}, {r['seconds']} s per load step")
    print(f"{'measure':52} {'weir':>12} {'reference':>12} {'ratio':>9}")

    def line(label, a, b, better_low=False):
        print(f"{label:52} {num(a, 12)} {num(b, 12)} {num(ratio(b, a) if better_low else ratio(a, b), 9, 'x')}")

    if r.get("seeding") == "bulk":
        print(f"{'seeding (s): NDJSON + weir import / in-process':52} {num(w['ndjson_seconds'] + w['import_seconds'], 12)} {num(ref.get('seed_seconds'), 12)}")
    line("start to healthy (s, lower is better)", w["startup_seconds"], ref.get("startup_seconds"), True)
    line("idle RSS (MiB, lower is better)", w["idle_rss_kib"] / 1024, ref.get("idle_rss_kib", 0) / 1024, True)
    line("peak RSS (MiB, lower is better)", w["peak_rss_kib"] / 1024, ref.get("peak_rss_kib", 0) / 1024, True)
    if "runs_per_second" in w:
        line("flow runs created per second (8 writers)", w["runs_per_second"], ref.get("runs_per_second"))
        line("state transitions per second (8 writers)", w["transitions_per_second"], ref.get("transitions_per_second"))
        print(f"{'503 busy answers while writing (retried)':52} {w['busy_503_answers']:12d} {ref.get('busy_503_answers', 0):12d}")
        print(f"{'dropped connections while writing':52} {w.get('connection_errors', 0):12d} {ref.get('connection_errors', 0):12d}")
        print(f"{'failed writes (answers other than 2xx and 503)':52} {w.get('failed_writes', 0):12d} {ref.get('failed_writes', 0):12d}")

    print(f"\n{'body':36} {'cl':>2} {'weir/s':>9} {'ref/s':>8} {'ratio':>8} {'weir p50':>9} {'weir p99':>9} {'ref p99':>9} {'ratio':>8} {'sql ms':>8} {'total ms':>8}")
    for row in r["rows"]:
        a, b = row["weir"], row.get("reference", {})
        print(f"{row['body'][:36]:36} {row['clients']:2d} {num(a['rps'], 9)} {num(b.get('rps'), 8)} {num(ratio(a['rps'], b.get('rps')), 8, 'x')} "
              f"{num(a['p50_ms'], 9)} {num(a['p99_ms'], 9)} {num(b.get('p99_ms'), 9)} {num(ratio(b.get('p99_ms'), a['p99_ms']), 8, 'x')} "
              f"{num(row.get('weir_sql_ms'), 8)} {num(row.get('weir_total_ms'), 8)}")
    slow = sorted({f"{row['body']} ({name})" for row in r["rows"] for name in ("weir", "reference") if row.get(name, {}).get("generator") in ("one request", "probe timed out")})
    if slow:
        print(f"measured by one request, too slow for a load step: {', '.join(slow)}")
    if r.get("note"):
        print(f"({r['note']})")


def chart(r: dict, path: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no chart)")
        return
    rows = [row for row in r["rows"] if row["clients"] == 8]
    labels = [row["body"] + ("" if row["reference"]["rps"] else " (reference timed out)") for row in rows]
    ratios = [ratio(row["weir"]["rps"], row["reference"]["rps"]) or 0 for row in rows]
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.barh(labels, ratios)
    ax.axvline(30, linestyle="--", color="red", label="target 30x")
    ax.set_xlabel("weir / reference requests per second, 8 clients")
    ax.set_title(f"Read Flow Runs, N = {r['n']} ({'API' if r.get('seeding', 'api') == 'api' else 'bulk'} seeding)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
