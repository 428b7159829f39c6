"""The real prefect 3.9.1 client against weir.

Every request is built by the client's own methods and models (`SyncPrefectClient`,
`prefect.client.schemas.filters`, `prefect.client.schemas.sorting`, `prefect.states`); responses are
parsed by the client's models. Expected results are computed here from the data each test
creates (uniquely named, so tests don't see each other's rows), never copied from server output.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid

import pytest
from prefect import Flow, Task
from prefect import states
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowFilter,
    FlowFilterId,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterExpectedStartTime,
    FlowRunFilterId,
    FlowRunFilterIdempotencyKey,
    FlowRunFilterParentTaskRunId,
    FlowRunFilterStartTime,
    FlowRunFilterState,
    FlowRunFilterStateName,
    FlowRunFilterStateType,
    FlowRunFilterTags,
    FlowRunFilterWorkQueueName,
    TaskRunFilter,
    TaskRunFilterState,
    TaskRunFilterStateType,
    WorkPoolFilter,
    WorkPoolFilterName,
    WorkQueueFilter,
    WorkQueueFilterName,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError


def _noop() -> None:
    return None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def make_flow(client, name: str) -> Flow:
    """A local Flow object; the flow row itself is created by client.create_flow_run."""
    return Flow(fn=_noop, name=name)


def ids(runs) -> list[uuid.UUID]:
    return [r.id for r in runs]


def in_flow(flow_id) -> FlowFilter:
    return FlowFilter(id=FlowFilterId(any_=[flow_id]))


def read_ids(client, **kwargs) -> set[uuid.UUID]:
    """Ids from read_flow_runs, checking count_flow_runs agrees with the same filters."""
    runs = client.read_flow_runs(**kwargs)
    found = set(ids(runs))
    assert len(found) == len(runs), "duplicate rows returned"
    count_kwargs = {k: v for k, v in kwargs.items() if k not in ("sort", "limit", "offset")}
    assert client.count_flow_runs(**count_kwargs) == len(found)
    return found


def set_state(client, run_id, state):
    result = client.set_flow_run_state(run_id, state, force=True)
    assert result.status.value == "ACCEPT", result
    return result


def make_pool(client, name: str):
    return client.create_work_pool(WorkPoolCreate(name=name, type="process"))


def make_queue(client, pool_name: str, name: str):
    return client.create_work_queue(name=name, work_pool_name=pool_name)


# --------------------------------------------------------------------------------------------
# flows


def test_create_flow_from_name_is_idempotent(client, uniq):
    name = f"compat-flow-{uniq}"
    flow_id = client.create_flow_from_name(name)
    assert client.create_flow_from_name(name) == flow_id
    assert client.read_flow(flow_id).name == name
    assert client.read_flow_by_name(name).id == flow_id


def test_async_client(async_client, uniq):
    """The async PrefectClient (get_client()) works too; driven with asyncio.run, no pytest plugin."""

    async def scenario():
        async with async_client() as c:
            flow_id = await c.create_flow_from_name(f"async-{uniq}")
            flow = await c.read_flow(flow_id)
            count = await c.count_flow_runs(flow_filter=in_flow(flow_id))
            runs = await c.read_flow_runs(flow_filter=in_flow(flow_id), sort=FlowRunSort.NAME_ASC, limit=5)
            with pytest.raises(ObjectNotFound):
                await c.read_flow_run(uuid.uuid4())
            return flow, count, runs

    flow, count, runs = asyncio.run(scenario())
    assert flow.name == f"async-{uniq}"
    assert (count, runs) == (0, [])


# --------------------------------------------------------------------------------------------
# flow run filters


def test_filter_state_type_and_name(client, uniq):
    flow = make_flow(client, f"states-{uniq}")
    pending = client.create_flow_run(flow)
    running = client.create_flow_run(flow)
    completed = client.create_flow_run(flow)
    cached = client.create_flow_run(flow)
    set_state(client, running.id, states.Running())
    set_state(client, completed.id, states.Running())
    set_state(client, completed.id, states.Completed())
    set_state(client, cached.id, states.Completed(name="Cached"))
    scope = in_flow(pending.flow_id)

    def by_state(**state_kwargs):
        return read_ids(
            client, flow_filter=scope, flow_run_filter=FlowRunFilter(state=FlowRunFilterState(**state_kwargs))
        )

    assert by_state(type=FlowRunFilterStateType(any_=[StateType.RUNNING, StateType.COMPLETED])) == {
        running.id,
        completed.id,
        cached.id,
    }
    assert by_state(type=FlowRunFilterStateType(any_=[StateType.PENDING])) == {pending.id}
    assert by_state(type=FlowRunFilterStateType(not_any_=[StateType.COMPLETED])) == {pending.id, running.id}
    assert by_state(name=FlowRunFilterStateName(any_=["Cached"])) == {cached.id}
    assert by_state(name=FlowRunFilterStateName(any_=["Completed", "Pending"])) == {completed.id, pending.id}
    assert by_state(name=FlowRunFilterStateName(not_any_=["Cached", "Pending"])) == {running.id, completed.id}

    got = {r.id: r for r in client.read_flow_runs(flow_filter=scope)}
    assert got[cached.id].state_type == StateType.COMPLETED
    assert got[cached.id].state_name == "Cached"
    assert got[running.id].state.is_running()


def test_filter_tags(client, uniq):
    a, b, c = f"a-{uniq}", f"b-{uniq}", f"c-{uniq}"
    flow = make_flow(client, f"tags-{uniq}")
    ab = client.create_flow_run(flow, tags=[a, b])
    only_a = client.create_flow_run(flow, tags=[a])
    untagged = client.create_flow_run(flow)
    bc = client.create_flow_run(flow, tags=[b, c])
    scope = in_flow(ab.flow_id)

    def by_tags(**kw):
        return read_ids(client, flow_filter=scope, flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(**kw)))

    assert by_tags(all_=[a, b]) == {ab.id}
    assert by_tags(all_=[a]) == {ab.id, only_a.id}
    assert by_tags(all_=[b]) == {ab.id, bc.id}
    assert by_tags(any_=[a, c]) == {ab.id, only_a.id, bc.id}
    assert by_tags(any_=[c]) == {bc.id}
    assert by_tags(is_null_=True) == {untagged.id}
    assert by_tags(is_null_=False) == {ab.id, only_a.id, bc.id}
    # without the flow scope: tags are unique to this test
    assert read_ids(client, flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[b, c]))) == {bc.id}
    assert sorted(client.read_flow_run(ab.id).tags) == sorted([a, b])


def test_filter_flow_name_like_is_case_insensitive(client, uniq):
    target = make_flow(client, f"Compat-Like-{uniq}-Target")
    other = make_flow(client, f"compat-unlike-{uniq}")
    r1 = client.create_flow_run(target)
    r2 = client.create_flow_run(target)
    client.create_flow_run(other)

    for pattern in (f"compat-like-{uniq}", f"COMPAT-LIKE-{uniq}-TARGET", f"like-{uniq}-tar"):
        assert read_ids(client, flow_filter=FlowFilter(name=FlowFilterName(like_=pattern))) == {r1.id, r2.id}, pattern
    # like_ is a substring match: both flows contain "like-<uniq>"
    assert len(read_ids(client, flow_filter=FlowFilter(name=FlowFilterName(like_=f"LIKE-{uniq}")))) == 3
    # any_ is exact
    assert read_ids(client, flow_filter=FlowFilter(name=FlowFilterName(any_=[target.name]))) == {r1.id, r2.id}
    assert read_ids(client, flow_filter=FlowFilter(name=FlowFilterName(any_=[target.name.lower()]))) == set()


def test_filter_id_any_and_not_any(client, uniq):
    flow = make_flow(client, f"ids-{uniq}")
    runs = [client.create_flow_run(flow) for _ in range(4)]
    scope = in_flow(runs[0].flow_id)
    all_ids = set(ids(runs))

    assert read_ids(client, flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[runs[0].id, runs[2].id]))) == {
        runs[0].id,
        runs[2].id,
    }
    assert read_ids(
        client, flow_filter=scope, flow_run_filter=FlowRunFilter(id=FlowRunFilterId(not_any_=[runs[1].id]))
    ) == all_ids - {runs[1].id}
    assert read_ids(client, flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[uuid.uuid4()]))) == set()
    assert read_ids(client, flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[]))) == set()


def test_filter_deployment_id_work_pool_and_queue(client, uniq):
    flow_id = client.create_flow_from_name(f"deployed-{uniq}")
    pool1 = make_pool(client, f"pool1-{uniq}")
    pool2 = make_pool(client, f"pool2-{uniq}")
    q1 = make_queue(client, pool1.name, f"q1-{uniq}")
    q2 = make_queue(client, pool2.name, f"q2-{uniq}")
    assert (q1.work_pool_name, q2.work_pool_name) == (pool1.name, pool2.name)
    d1 = client.create_deployment(
        flow_id=flow_id,
        name=f"dep1-{uniq}",
        work_pool_name=pool1.name,
        work_queue_name=q1.name,
        tags=[f"dtag-{uniq}"],
        parameters={"x": 1},
    )
    d2 = client.create_deployment(
        flow_id=flow_id, name=f"dep2-{uniq}", work_pool_name=pool2.name, work_queue_name=q2.name
    )
    from_d1 = client.create_flow_run_from_deployment(d1, tags=[f"rtag-{uniq}"])
    from_d2 = client.create_flow_run_from_deployment(d2)
    from_d2_default_q = client.create_flow_run_from_deployment(d2, work_queue_name="default")
    plain = client.create_flow_run(make_flow(client, f"deployed-{uniq}"))
    assert plain.flow_id == flow_id
    scope = in_flow(flow_id)

    # what the runs inherited from their deployment
    r1 = client.read_flow_run(from_d1.id)
    assert r1.deployment_id == d1
    assert r1.work_queue_name == q1.name
    assert r1.work_pool_name == pool1.name
    assert r1.parameters == {"x": 1}
    assert set(r1.tags) == {f"dtag-{uniq}", f"rtag-{uniq}"}
    assert r1.state_type == StateType.SCHEDULED
    assert client.read_flow_run(from_d2_default_q.id).work_queue_name == "default"
    assert client.read_flow_run(plain.id).deployment_id is None

    def dep_filter(**kw):
        return read_ids(
            client, flow_filter=scope, flow_run_filter=FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(**kw))
        )

    assert dep_filter(any_=[d1]) == {from_d1.id}
    assert dep_filter(any_=[d1, d2]) == {from_d1.id, from_d2.id, from_d2_default_q.id}
    assert dep_filter(is_null_=True) == {plain.id}
    assert dep_filter(is_null_=False) == {from_d1.id, from_d2.id, from_d2_default_q.id}
    assert read_ids(client, deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[d2]))) == {
        from_d2.id,
        from_d2_default_q.id,
    }

    # work pool name (joined through the run's queue)
    assert read_ids(client, work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[pool1.name]))) == {
        from_d1.id
    }
    assert read_ids(client, work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[pool2.name]))) == {
        from_d2.id,
        from_d2_default_q.id,
    }
    # work queue name: the queue filter (queue table) and the flow run's own column
    assert read_ids(client, work_queue_filter=WorkQueueFilter(name=WorkQueueFilterName(any_=[q2.name]))) == {
        from_d2.id
    }
    assert read_ids(
        client,
        work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[pool2.name])),
        work_queue_filter=WorkQueueFilter(name=WorkQueueFilterName(any_=["default"])),
    ) == {from_d2_default_q.id}
    assert read_ids(
        client,
        flow_filter=scope,
        flow_run_filter=FlowRunFilter(work_queue_name=FlowRunFilterWorkQueueName(any_=[q1.name, "default"])),
    ) == {from_d1.id, from_d2_default_q.id}
    assert read_ids(
        client,
        flow_filter=scope,
        flow_run_filter=FlowRunFilter(work_queue_name=FlowRunFilterWorkQueueName(is_null_=True)),
    ) == {plain.id}


def test_filter_task_run_state(client, uniq):
    flow = make_flow(client, f"with-tasks-{uniq}")
    task = Task(fn=_noop, name=f"task-{uniq}")
    done = client.create_flow_run(flow)
    busy = client.create_flow_run(flow)
    no_tasks = client.create_flow_run(flow)
    t_done = client.create_task_run(task, done.id, dynamic_key="0")
    t_busy = client.create_task_run(task, busy.id, dynamic_key="0")
    assert t_done.flow_run_id == done.id
    assert t_done.state_type == StateType.PENDING

    r = client.set_task_run_state(t_done.id, states.Running(), force=True)
    assert r.status.value == "ACCEPT"
    time.sleep(0.02)
    r = client.set_task_run_state(t_done.id, states.Completed(), force=True)
    assert r.status.value == "ACCEPT"
    client.set_task_run_state(t_busy.id, states.Running(), force=True)

    tr = client.read_task_run(t_done.id)
    assert tr.state_type == StateType.COMPLETED
    assert tr.run_count == 1
    assert tr.start_time is not None and tr.end_time is not None and tr.end_time > tr.start_time

    completed_tasks = TaskRunFilter(state=TaskRunFilterState(type=TaskRunFilterStateType(any_=[StateType.COMPLETED])))
    scope = in_flow(done.flow_id)
    assert read_ids(client, flow_filter=scope, task_run_filter=completed_tasks) == {done.id}
    # the task-run filter alone (no flow filter) goes through a different join in the reference
    assert done.id in read_ids(client, task_run_filter=completed_tasks)
    assert busy.id not in read_ids(client, task_run_filter=completed_tasks)
    running_or_completed = TaskRunFilter(
        state=TaskRunFilterState(type=TaskRunFilterStateType(any_=[StateType.RUNNING, StateType.COMPLETED]))
    )
    assert read_ids(client, flow_filter=scope, task_run_filter=running_or_completed) == {done.id, busy.id}
    assert no_tasks.id not in read_ids(client, flow_filter=scope, task_run_filter=TaskRunFilter())


def test_filter_start_time_before_after(client, uniq):
    """start_time bounds compare coalesce(start_time, expected_start_time), as the reference does."""
    flow = make_flow(client, f"start-times-{uniq}")
    never_past = client.create_flow_run(flow)  # Pending: expected_start_time = creation time
    first = client.create_flow_run(flow)
    second = client.create_flow_run(flow)
    never_future = client.create_flow_run(
        flow, state=states.Scheduled(scheduled_time=_now() + dt.timedelta(days=1))
    )
    set_state(client, first.id, states.Running())
    time.sleep(0.05)
    set_state(client, second.id, states.Running())
    runs = {r.id: client.read_flow_run(r.id) for r in (never_past, first, second, never_future)}
    s1, s2 = runs[first.id].start_time, runs[second.id].start_time
    assert s1 is not None and s2 is not None and s1 < s2
    assert runs[never_past.id].start_time is None and runs[never_future.id].start_time is None
    assert runs[never_past.id].expected_start_time < s1
    mid = s1 + (s2 - s1) / 2
    scope = in_flow(first.flow_id)

    def effective(r):
        return r.start_time or r.expected_start_time

    def by_start(**kw):
        return read_ids(client, flow_filter=scope, flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(**kw)))

    def expect(pred):
        return {i for i, r in runs.items() if pred(r)}

    assert by_start(after_=mid) == expect(lambda r: effective(r) >= mid) == {second.id, never_future.id}
    assert by_start(before_=mid) == expect(lambda r: effective(r) <= mid) == {never_past.id, first.id}
    assert by_start(after_=s1) == {first.id, second.id, never_future.id}  # inclusive bounds
    assert by_start(before_=s2) == {never_past.id, first.id, second.id}
    assert by_start(after_=s1, before_=s1) == {first.id}
    assert by_start(is_null_=True) == {never_past.id, never_future.id}
    assert by_start(is_null_=False) == {first.id, second.id}
    assert by_start(after_=mid, is_null_=False) == {second.id}


def test_filter_expected_start_time(client, uniq):
    flow = make_flow(client, f"expected-{uniq}")
    base = _now().replace(microsecond=0) + dt.timedelta(days=3)
    times = [base + dt.timedelta(hours=h) for h in (2, 0, 1)]
    runs = [client.create_flow_run(flow, state=states.Scheduled(scheduled_time=t)) for t in times]
    for run, t in zip(runs, times):
        got = client.read_flow_run(run.id)
        assert got.expected_start_time == t
        assert got.next_scheduled_start_time == t
        assert got.state_type == StateType.SCHEDULED
    scope = in_flow(runs[0].flow_id)

    def by_expected(**kw):
        return read_ids(
            client,
            flow_filter=scope,
            flow_run_filter=FlowRunFilter(expected_start_time=FlowRunFilterExpectedStartTime(**kw)),
        )

    assert by_expected(before_=base + dt.timedelta(minutes=30)) == {runs[1].id}
    assert by_expected(after_=base + dt.timedelta(minutes=30)) == {runs[0].id, runs[2].id}
    assert by_expected(after_=base + dt.timedelta(hours=1), before_=base + dt.timedelta(hours=1)) == {runs[2].id}
    assert by_expected(before_=base - dt.timedelta(days=1)) == set()


def test_filter_parent_task_run_id(client, uniq):
    parent_flow = make_flow(client, f"parent-{uniq}")
    child_flow = make_flow(client, f"child-{uniq}")
    parent = client.create_flow_run(parent_flow)
    placeholder = client.create_task_run(Task(fn=_noop, name=f"subflow-{uniq}"), parent.id, dynamic_key="0")
    child = client.create_flow_run(child_flow, parent_task_run_id=placeholder.id)
    orphan = client.create_flow_run(child_flow)
    assert client.read_flow_run(child.id).parent_task_run_id == placeholder.id

    assert read_ids(
        client, flow_run_filter=FlowRunFilter(parent_task_run_id=FlowRunFilterParentTaskRunId(any_=[placeholder.id]))
    ) == {child.id}
    scope = in_flow(child.flow_id)
    assert read_ids(
        client,
        flow_filter=scope,
        flow_run_filter=FlowRunFilter(parent_task_run_id=FlowRunFilterParentTaskRunId(is_null_=True)),
    ) == {orphan.id}


def test_idempotency_key(client, uniq):
    flow_id = client.create_flow_from_name(f"idem-{uniq}")
    pool = make_pool(client, f"idem-pool-{uniq}")
    deployment_id = client.create_deployment(flow_id=flow_id, name=f"idem-{uniq}", work_pool_name=pool.name)
    key = f"key-{uniq}"
    first = client.create_flow_run_from_deployment(deployment_id, idempotency_key=key)
    again = client.create_flow_run_from_deployment(deployment_id, idempotency_key=key, tags=["ignored"])
    other = client.create_flow_run_from_deployment(deployment_id, idempotency_key=f"other-{uniq}")
    assert again.id == first.id
    assert again.name == first.name
    assert other.id != first.id
    assert client.read_flow_run(first.id).idempotency_key == key
    assert read_ids(
        client, flow_run_filter=FlowRunFilter(idempotency_key=FlowRunFilterIdempotencyKey(any_=[key]))
    ) == {first.id}
    assert read_ids(client, flow_filter=in_flow(flow_id)) == {first.id, other.id}


def test_idempotency_key_on_post_flow_runs(client, uniq):
    """POST /flow_runs/ with FlowRunCreate(idempotency_key=...): 201 first, then 200 with the same run."""
    from prefect.client.schemas.actions import FlowRunCreate
    from prefect.client.schemas.objects import FlowRun

    flow_id = client.create_flow_from_name(f"idem-raw-{uniq}")
    body = FlowRunCreate(flow_id=flow_id, idempotency_key=f"k-{uniq}").model_dump(mode="json", exclude_unset=True)
    r1 = client.request("POST", "/flow_runs/", json=body)
    r2 = client.request("POST", "/flow_runs/", json=body)
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert FlowRun.model_validate(r1.json()).id == FlowRun.model_validate(r2.json()).id


# --------------------------------------------------------------------------------------------
# sorting and paging


@pytest.fixture(scope="module")
def sort_dataset(client):
    """Five runs whose sort keys differ in every column, mixing set and null values.

    run  name  scheduled  then                      start  end   next_scheduled
    r0   c     +3h        stays Scheduled           -      -     +3h
    r1   a     +1h        Running (1st)             t1     -     -
    r2   e     +5h        Running (2nd), Completed  t2     e2    -
    r3   b     +2h        Running (3rd), Completed  t3     e3    -
    r4   d     +4h        stays Scheduled           -      -     +4h
    """
    uniq = uuid.uuid4().hex[:10]
    flow = make_flow(client, f"sorting-{uniq}")
    base = _now().replace(microsecond=0) + dt.timedelta(days=1)
    spec = [("c", 3), ("a", 1), ("e", 5), ("b", 2), ("d", 4)]
    runs = [
        client.create_flow_run(
            flow, name=f"sort-{uniq}-{letter}", state=states.Scheduled(scheduled_time=base + dt.timedelta(hours=h))
        )
        for letter, h in spec
    ]
    for i in (1, 2, 3):
        set_state(client, runs[i].id, states.Running())
        time.sleep(0.01)
    set_state(client, runs[2].id, states.Completed())
    time.sleep(0.01)
    set_state(client, runs[3].id, states.Completed())

    fresh = {r.id: client.read_flow_run(r.id) for r in runs}
    # the bookkeeping the orderings below rely on
    for (letter, h), r in zip(spec, runs):
        got = fresh[r.id]
        assert got.name == f"sort-{uniq}-{letter}"
        assert got.expected_start_time == base + dt.timedelta(hours=h)
    assert [fresh[runs[i].id].start_time is None for i in range(5)] == [True, False, False, False, True]
    assert fresh[runs[1].id].start_time < fresh[runs[2].id].start_time < fresh[runs[3].id].start_time
    assert [fresh[runs[i].id].end_time is None for i in range(5)] == [True, True, False, False, True]
    assert fresh[runs[2].id].end_time < fresh[runs[3].id].end_time
    assert [fresh[runs[i].id].next_scheduled_start_time for i in range(5)] == [
        base + dt.timedelta(hours=3),
        None,
        None,
        None,
        base + dt.timedelta(hours=4),
    ]
    return runs[0].flow_id, list(fresh.values())


def _nulls_first(value):
    # SQLite (the reference's default database) orders NULL before every value.
    return (value is not None, value)


# (key, descending). Ties (several NULLs) may come back in any order; the comparison below is on keys.
SORT_KEYS = {
    FlowRunSort.ID_DESC: (lambda r: str(r.id), True),
    FlowRunSort.START_TIME_ASC: (lambda r: r.start_time or r.expected_start_time, False),
    FlowRunSort.START_TIME_DESC: (lambda r: r.start_time or r.expected_start_time, True),
    FlowRunSort.EXPECTED_START_TIME_ASC: (lambda r: r.expected_start_time, False),
    FlowRunSort.EXPECTED_START_TIME_DESC: (lambda r: r.expected_start_time, True),
    FlowRunSort.NAME_ASC: (lambda r: r.name, False),
    FlowRunSort.NAME_DESC: (lambda r: r.name, True),
    FlowRunSort.NEXT_SCHEDULED_START_TIME_ASC: (lambda r: _nulls_first(r.next_scheduled_start_time), False),
    FlowRunSort.END_TIME_DESC: (lambda r: _nulls_first(r.end_time), True),
}


def test_every_sort_is_covered():
    assert set(SORT_KEYS) == set(FlowRunSort)


@pytest.mark.parametrize("sort", list(FlowRunSort), ids=lambda s: s.value)
def test_sort(client, sort_dataset, sort):
    flow_id, runs = sort_dataset
    key, descending = SORT_KEYS[sort]
    expected = sorted(runs, key=key, reverse=descending)
    got = client.read_flow_runs(flow_filter=in_flow(flow_id), sort=sort)
    assert set(ids(got)) == set(ids(runs))
    by_id = {r.id: r for r in runs}
    assert [key(by_id[r.id]) for r in got] == [key(r) for r in expected], (
        f"{sort.value}: got {[r.name for r in got]}, expected {[r.name for r in expected]}"
    )


def test_sort_orders_are_distinct_where_keys_are(client, sort_dataset):
    """Sanity check on the dataset: most sorts fully determine the order, and differ from each other."""
    flow_id, _ = sort_dataset
    names = {s: [r.name[-1] for r in client.read_flow_runs(flow_filter=in_flow(flow_id), sort=s)] for s in FlowRunSort}
    assert names[FlowRunSort.NAME_ASC] == list("abcde")
    assert names[FlowRunSort.NAME_DESC] == list("edcba")
    assert names[FlowRunSort.EXPECTED_START_TIME_ASC] == list("abcde")  # scheduled +1h..+5h by letter
    assert names[FlowRunSort.START_TIME_ASC] == list("aebcd")  # started ones first, in start order
    assert names[FlowRunSort.START_TIME_DESC] == list("dcbea")
    assert names[FlowRunSort.NEXT_SCHEDULED_START_TIME_ASC][3:] == list("cd")
    assert names[FlowRunSort.END_TIME_DESC][:2] == list("be")


def test_default_sort_is_id_desc(client, sort_dataset):
    flow_id, runs = sort_dataset
    got = client.read_flow_runs(flow_filter=in_flow(flow_id))
    assert [str(r.id) for r in got] == sorted((str(r.id) for r in runs), reverse=True)


def test_limit_offset_paging(client, uniq):
    flow = make_flow(client, f"paging-{uniq}")
    names = [f"page-{uniq}-{i:02d}" for i in (5, 2, 6, 0, 3, 1, 4)]
    runs = [client.create_flow_run(flow, name=n) for n in names]
    scope = in_flow(runs[0].flow_id)
    expected = [r.id for r in sorted(runs, key=lambda r: r.name)]

    pages = [
        ids(client.read_flow_runs(flow_filter=scope, sort=FlowRunSort.NAME_ASC, limit=3, offset=off))
        for off in (0, 3, 6, 9)
    ]
    assert [len(p) for p in pages] == [3, 3, 1, 0]
    assert pages[0] + pages[1] + pages[2] == expected
    assert ids(client.read_flow_runs(flow_filter=scope, sort=FlowRunSort.NAME_DESC, limit=2, offset=1)) == list(
        reversed(expected)
    )[1:3]
    assert client.count_flow_runs(flow_filter=scope) == 7
    assert ids(client.read_flow_runs(flow_filter=scope, sort=FlowRunSort.NAME_ASC, limit=200)) == expected


# --------------------------------------------------------------------------------------------
# state bookkeeping


def test_bookkeeping_running_then_completed(client, uniq):
    flow = make_flow(client, f"bookkeeping-{uniq}")
    run = client.create_flow_run(flow, tags=[f"bk-{uniq}"])
    assert run.state_type == StateType.PENDING
    assert run.run_count == 0
    assert run.start_time is None and run.end_time is None
    assert run.total_run_time == dt.timedelta(0)
    assert run.expected_start_time == run.state.timestamp

    running = set_state(client, run.id, states.Running())
    assert running.state.type == StateType.RUNNING
    mid = client.read_flow_run(run.id)
    assert mid.state_type == StateType.RUNNING
    assert mid.run_count == 1
    assert mid.start_time == running.state.timestamp
    assert mid.end_time is None

    time.sleep(0.2)
    completed = set_state(client, run.id, states.Completed())
    assert completed.state.type == StateType.COMPLETED
    done = client.read_flow_run(run.id)
    assert done.state_type == StateType.COMPLETED
    assert done.state_name == "Completed"
    assert done.state.id == completed.state.id
    assert done.start_time == running.state.timestamp
    assert done.end_time == completed.state.timestamp
    assert done.run_count == 1
    assert done.total_run_time > dt.timedelta(0)
    assert done.total_run_time == done.end_time - done.start_time
    assert done.total_run_time >= dt.timedelta(seconds=0.15)
    assert done.expected_start_time == run.expected_start_time
    assert done.next_scheduled_start_time is None


def test_bookkeeping_scheduled_then_running(client, uniq):
    flow = make_flow(client, f"sched-bk-{uniq}")
    when = _now().replace(microsecond=0) + dt.timedelta(hours=6)
    run = client.create_flow_run(flow, state=states.Scheduled(scheduled_time=when))
    assert run.expected_start_time == when
    assert run.next_scheduled_start_time == when
    set_state(client, run.id, states.Running())
    got = client.read_flow_run(run.id)
    assert got.next_scheduled_start_time is None
    assert got.expected_start_time == when
    assert got.start_time is not None and got.start_time < when


# --------------------------------------------------------------------------------------------
# errors


def test_read_unknown_flow_run_raises_object_not_found(client):
    with pytest.raises(ObjectNotFound):
        client.read_flow_run(uuid.uuid4())


def test_read_unknown_work_pool_raises_object_not_found(client, uniq):
    with pytest.raises(ObjectNotFound):
        client.read_work_pool(f"no-such-pool-{uniq}")


def test_read_work_pool_and_queue(client, uniq):
    pool = make_pool(client, f"read-pool-{uniq}")
    assert client.read_work_pool(pool.name).id == pool.id
    queue = make_queue(client, pool.name, f"read-q-{uniq}")
    assert client.read_work_queue_by_name(queue.name, work_pool_name=pool.name).id == queue.id
    names = {q.name for q in client.read_work_queues(work_pool_name=pool.name)}
    assert names == {"default", queue.name}


# --------------------------------------------------------------------------------------------
# the client's requests exactly as it serializes them

NULLS_BUG = (
    "weir bug: an explicit JSON null in an Optional request-body field is rejected with 422 "
    "(string_type/uuid_type/datetime_type/int_type/bool_type) instead of being read as None; "
    "the prefect client always sends such nulls"
)


def test_real_client_create_flow_run(raw_client, uniq):
    run = raw_client.create_flow_run(Flow(fn=_noop, name=f"raw-{uniq}"), tags=[uniq])
    assert raw_client.read_flow_run(run.id).tags == [uniq]


def test_real_client_set_flow_run_state(client, raw_client, uniq):
    run = client.create_flow_run(Flow(fn=_noop, name=f"raw-state-{uniq}"))
    result = raw_client.set_flow_run_state(run.id, states.Running(), force=True)
    assert result.state.type == StateType.RUNNING


def test_real_client_create_task_run(client, raw_client, uniq):
    run = client.create_flow_run(Flow(fn=_noop, name=f"raw-task-{uniq}"))
    task_run = raw_client.create_task_run(Task(fn=_noop, name=f"t-{uniq}"), run.id, dynamic_key="0")
    assert task_run.flow_run_id == run.id


def test_real_client_set_task_run_state(client, raw_client, uniq):
    run = client.create_flow_run(Flow(fn=_noop, name=f"raw-tstate-{uniq}"))
    task_run = client.create_task_run(Task(fn=_noop, name=f"t-{uniq}"), run.id, dynamic_key="0")
    result = raw_client.set_task_run_state(task_run.id, states.Completed(), force=True)
    assert result.state.type == StateType.COMPLETED


def test_real_client_create_deployment(raw_client, uniq):
    flow_id = raw_client.create_flow_from_name(f"raw-dep-{uniq}")
    deployment_id = raw_client.create_deployment(flow_id=flow_id, name=f"raw-dep-{uniq}")
    assert raw_client.read_deployment(deployment_id).flow_id == flow_id


def test_real_client_create_flow_run_from_deployment(client, raw_client, uniq):
    flow_id = client.create_flow_from_name(f"raw-fromdep-{uniq}")
    deployment_id = client.create_deployment(flow_id=flow_id, name=f"raw-fromdep-{uniq}")
    run = raw_client.create_flow_run_from_deployment(deployment_id)
    assert run.deployment_id == deployment_id


def test_real_client_create_work_queue(raw_client, uniq):
    pool = raw_client.create_work_pool(WorkPoolCreate(name=f"raw-pool-{uniq}", type="process"))
    queue = raw_client.create_work_queue(name=f"raw-q-{uniq}", work_pool_name=pool.name)
    assert queue.work_pool_name == pool.name
