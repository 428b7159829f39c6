"""SQLite query plans and in-process times of the benchmark's Read Flow Runs bodies at N runs.

    bench/plans-sqlite [--n 100000] [--db path/to/weir.db] > docs/query-plans.md

Seeds a fresh database the way `bench/run --seeding bulk` does (resources through the API, runs
through `weir import`), or uses `--db`, then prints, as Markdown, each body's plan
(`weir explain`: the page query's plan appears under `LIST SUBQUERY`) and `weir query-time`'s
SQL-only and total in-process times.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--db", help="an existing Weir SQLite database seeded by the benchmark")
    ap.add_argument("--limit", type=int, help="the limit of every body (the suite's own limits otherwise)")
    ap.add_argument("--weir", default=str(run.REPO / ".build" / "release" / "weir"))
    args = ap.parse_args()
    binary = Path(args.weir)
    home = None
    if args.db:
        db = Path(args.db)
    else:
        home, _ = run.seed_bulk_weir(binary, args.n, args.seed)
        db = home / "weir.db"
    try:
        url = run.sqlite_url(db)
        n = subprocess.run(["sqlite3", str(db), "SELECT count(*) FROM flow_run"], capture_output=True, text=True).stdout.strip()
        dep = subprocess.run(["sqlite3", str(db), "SELECT id FROM deployment WHERE name = 'dep-03'"], capture_output=True, text=True).stdout.strip()
        print(f"# Query plans at {int(n):,} flow runs (SQLite)\n")
        print(f"Produced by `bench/plans-sqlite --n {args.n}" + (f" --limit {args.limit}" if args.limit else "")
              + "` (the benchmark's dataset through `weir import`). Each body's plan is `weir explain`: the page of row ids is")
        print("chosen by the query under `LIST SUBQUERY` (filter, sort, limit and offset over index entries), then at most")
        print("`limit` rows are read by row id and sorted again. Times are `weir query-time` (20 runs after one warm-up):")
        print("the SQL alone, and SQL + decoding + the JSON response, in-process. A task run filter first looks for its page")
        print("among the first runs in order (the first plan shown); the whole query runs only when they hold less than a page.")
        for label, path, body in run.suite(dep, args.limit):
            if path.endswith("/count"):
                continue
            text = json.dumps(body, separators=(",", ":"))
            plan = subprocess.run([str(binary), "explain", "--database-url", url, text], capture_output=True, text=True, check=True).stdout
            timing = run.weir_query_time(binary, db, body, False)
            print(f"\n## {label}\n\n`{text}`: SQL {timing['sql_ms']:.2f} ms, total {timing['total_ms']:.2f} ms, {timing['rows']} rows\n")
            print("```\n" + plan.strip() + "\n```")
    finally:
        if home is not None:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
