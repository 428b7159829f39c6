"""Does PostgreSQL keep the query planner's statistics current as Weir's run table grows through the
API? (Issue 12 found that SQLite did not, until a restart.) PostgreSQL's autovacuum analyzes a table
once `autovacuum_analyze_threshold` (50) + `autovacuum_analyze_scale_factor` (0.1) x its rows have
changed since the last analyze, checking every `autovacuum_naptime` (60 s).

Starts a throwaway cluster (scripts/postgres) and Weir on it, creates N runs with their states and
task runs through the API with 8 writers (as bench/run does), sampling `pg_stat_user_tables` for the
run tables every two seconds; then measures the Read Flow Runs suite at 8 clients on the statistics
autovacuum left, runs ANALYZE by hand, and measures again. Prints the autoanalyze timeline and the
ratio per body, and writes bench/results/<stamp>-postgres-statistics.json.

Usage: bench/postgres_statistics.py [--n 20000] [--seconds 5] [--weir .build/release/weir]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import run
from run import REPO, step

TABLES = ("flow_run", "task_run", "flow_run_state")


def psql(url: str, sql: str) -> str:
    return subprocess.run(["psql", url, "-X", "-q", "-A", "-t", "-F", "|", "-c", sql], check=True, capture_output=True, text=True).stdout


def weir_database(url: str) -> str:
    """The database Weir's server uses on the cluster: a fresh one named weir_bench."""
    psql(url, "CREATE DATABASE weir_bench")
    return url.rsplit("/", 1)[0] + "/weir_bench"


def sample(url: str, started: float) -> list[dict]:
    names = ", ".join(f"'{t}'" for t in TABLES)
    rows = psql(url, f"SELECT relname, n_live_tup, n_mod_since_analyze, autoanalyze_count FROM pg_stat_user_tables WHERE relname IN ({names})")
    out = []
    for line in rows.splitlines():
        table, live, modified, analyzed = line.split("|")
        out.append({"t": round(time.monotonic() - started, 1), "table": table, "live": int(live), "modified_since_analyze": int(modified),
                    "autoanalyze_count": int(analyzed)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--weir", default=str(REPO / ".build" / "release" / "weir"))
    args = ap.parse_args()
    pgdir = tempfile.mkdtemp(prefix="bench-pg-")
    cluster = subprocess.run([str(REPO / "scripts" / "postgres"), "start", pgdir], check=True, capture_output=True, text=True).stdout.strip()
    server = None
    samples: list[dict] = []
    stop = threading.Event()
    try:
        database = weir_database(cluster)
        server = run.start_weir(Path(args.weir), PREFECT_SERVER_DATABASE_CONNECTION_URL=database)
        started = time.monotonic()

        def sampler():
            while not stop.is_set():
                samples.extend(sample(database, started))
                stop.wait(2)

        threading.Thread(target=sampler, daemon=True).start()
        ids = run.create_resources(server)
        step(f"postgres: {args.n} runs through the API, 8 writers")
        written = run.api_runs(server, list(run.dataset.flow_runs(args.n, args.seed)), ids)
        step(f"postgres: {written['runs_per_second']:.1f} runs/s; waiting for autovacuum to analyze flow_run (at most 150 s)")
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            latest = {s["table"]: s for s in sample(database, started)}.get("flow_run")
            if latest and latest["modified_since_analyze"] <= 50 + 0.1 * latest["live"]:
                break
            time.sleep(2)
        bodies = run.suite(ids.deployments["dep-03"])
        measured: dict[str, dict] = {}
        for phase in ("autovacuum", "analyzed"):
            if phase == "analyzed":
                psql(database, "ANALYZE")
            for label, path, body in bodies:
                run.settle({"weir": server})
                run.probe(server.url, path, body, 300)
                measured.setdefault(label, {})[phase] = run.load(server.url, path, body, 8, args.seconds)
                step(f"postgres: {label} ({phase}): {measured[label][phase]['rps']:.1f} req/s")
    finally:
        stop.set()
        if server:
            server.stop()
        subprocess.run([str(REPO / "scripts" / "postgres"), "stop", pgdir], check=False)

    rows = [{"body": label, **m, "ratio": run.ratio(m["autovacuum"]["rps"], m["analyzed"]["rps"])} for label, m in measured.items()]
    runs_samples = [s for s in samples if s["table"] == "flow_run"]
    analyzes = []
    for before, after in zip(runs_samples, runs_samples[1:]):
        if after["autoanalyze_count"] > before["autoanalyze_count"]:
            analyzes.append({"t": after["t"], "live": after["live"]})
    result = {"n": args.n, "seconds": args.seconds, "writes": written, "autoanalyze_of_flow_run": analyzes, "samples": samples, "rows": rows,
              "when": dt.datetime.now(dt.timezone.utc).isoformat()}
    out = REPO / "bench" / "results" / f"{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}-postgres-statistics.json"
    out.write_text(json.dumps(result, indent=1))
    print(f"\nautovacuum analyzed flow_run {len(analyzes)} times while it grew to {args.n} runs:")
    for a in analyzes:
        print(f"  at {a['t']:6.1f} s, {a['live']} live rows")
    final = runs_samples[-1] if runs_samples else None
    if final:
        print(f"last sample: {final['live']} live rows, {final['modified_since_analyze']} modified since the last analyze")
    print(f"\n{'body':40} {'autovacuum req/s':>17} {'after ANALYZE req/s':>20} {'ratio':>7}")
    for r in rows:
        print(f"{r['body']:40} {run.num(r['autovacuum']['rps'], 17)} {run.num(r['analyzed']['rps'], 20)} {run.num(r['ratio'], 7, 'x')}")
    print(f"\nwrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
