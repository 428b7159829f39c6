"""Real Prefect flows the compat suite runs against a server: `python scenarios.py NAME TAG`.

Each prints `RESULT <json>` with what the flow returned (or the exception) and tags its runs with
TAG, so the test can find them through the API.
"""

import json
import sys
import threading
from concurrent.futures import ProcessPoolExecutor

from prefect import flow, tags, task
from prefect.cache_policies import INPUTS
from prefect.logging import get_run_logger

ATTEMPTS = {"n": 0}


@task
def add(x, y):
    return x + y


@task
def mul(x, y):
    return x * y


@flow(log_prints=True)
def basic(a: int = 1, b: int = 2):
    s = add(a, b)
    p = mul(s, 3)
    get_run_logger().info("result is %s", p)
    print("printed", p)
    return p


@flow
def failing():
    add(1, 1)
    raise ValueError("boom")


@flow(retries=1, retry_delay_seconds=0)
def flaky():
    ATTEMPTS["n"] += 1
    if ATTEMPTS["n"] == 1:
        raise RuntimeError("first attempt fails")
    return ATTEMPTS["n"]


@flow
def child(x: int):
    return add(x, 10)


@flow
def parent():
    return child(5) + 1


@task(cache_policy=INPUTS, persist_result=True)
def expensive(x, salt):
    return x * 100


@flow
def cached(salt: str):
    # The salt keeps this run's cache key its own: the client keeps the cache in local storage.
    return expensive(7, salt) + expensive(7, salt)


@flow
def small(i: int):
    return add(i, i)


def run_in_process(args):
    i, tag = args
    with tags(tag):
        return small(i)


def threaded(tag):
    results = [None] * 4

    def go(i):
        with tags(tag):
            results[i] = small(i)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def processes(tag):
    with ProcessPoolExecutor(max_workers=3) as pool:
        return list(pool.map(run_in_process, [(i, tag) for i in range(3)]))


SCENARIOS = {"basic": basic, "failing": failing, "flaky": flaky, "parent": parent, "cached": cached,
             "threaded": threaded, "processes": processes}

if __name__ == "__main__":
    name, tag = sys.argv[1], sys.argv[2]
    with tags(tag):
        try:
            scenario = SCENARIOS[name]
            out = {"ok": scenario(tag) if name in ("threaded", "processes", "cached") else scenario()}
        except Exception as e:  # the flow's own failure is part of the scenario
            out = {"error": f"{type(e).__name__}: {e}"}
    print("RESULT " + json.dumps(out))
