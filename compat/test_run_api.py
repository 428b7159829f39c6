"""The real prefect 3.9.1 client against weir: run states, deletes, logs, updates, labels, task run
reads, resume, flows, and the paginate endpoints.

Requests are built by the client's own methods and models (`SyncPrefectClient`, the async
`PrefectClient`, `prefect.client.schemas.*`, `prefect.states`) and responses are parsed by the
client's models. The client has no paginate, count-task-runs or history call in 3.9.1, so those go
through the plain `http` fixture and are parsed with the client's models. Every expected value is
computed from the data the test creates (uniquely named), never copied from server output.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid

import pytest
from prefect import Flow, Task, states
from prefect.client.schemas.actions import LogCreate
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterId,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterId,
    LogFilter,
    LogFilterFlowRunId,
    LogFilterLevel,
    LogFilterTaskRunId,
    LogFilterTextSearch,
    LogFilterTimestamp,
    TaskRunFilter,
    TaskRunFilterFlowRunId,
    TaskRunFilterId,
    TaskRunFilterName,
    TaskRunFilterState,
    TaskRunFilterStateType,
)
from prefect.client.schemas.objects import Flow as FlowModel, FlowRun, Log, StateType, TaskRun
from prefect.client.schemas.responses import SetStateStatus
from prefect.client.schemas.sorting import FlowSort, LogSort, TaskRunSort
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

T0 = dt.datetime(2022, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc)


def _noop() -> None:
    return None


def make_flow(name: str, **kwargs) -> Flow:
    return Flow(fn=_noop, name=name, **kwargs)


def make_task(name: str, **kwargs) -> Task:
    return Task(fn=_noop, name=name, **kwargs)


def running_run(client, uniq: str, label: str = "run") -> FlowRun:
    run = client.create_flow_run(make_flow(f"runapi-{label}-{uniq}"), name=f"{label}-{uniq}")
    result = client.set_flow_run_state(run.id, states.Running())
    assert result.status == SetStateStatus.ACCEPT, result
    return run


def task_run(client, flow_run_id, name: str, state=None, **kwargs) -> TaskRun:
    """A task run; the dynamic key is the name, as (flow run, task key, dynamic key) is unique and
    every Task made from `_noop` has the same task key."""
    return client.create_task_run(
        make_task(name), flow_run_id=flow_run_id, dynamic_key=name, name=name, state=state, **kwargs
    )


def types(state_list) -> list[tuple[str, str]]:
    return [(s.type.value, s.name) for s in state_list]


# --------------------------------------------------------------------------------------------
# set_state / state histories


def test_set_flow_run_state_with_retry(client, uniq):
    flow = make_flow(f"runapi-retry-{uniq}", retries=1, retry_delay_seconds=0)
    run = client.create_flow_run(flow, name=f"retry-{uniq}")
    assert run.empirical_policy.retries == 1
    assert run.empirical_policy.retry_delay == 0
    assert client.read_flow_run(run.id).empirical_policy.retries == 1

    first = client.set_flow_run_state(run.id, states.Running())
    assert first.status == SetStateStatus.ACCEPT
    assert first.state.is_running()
    assert first.state.state_details.flow_run_id == run.id

    # the first failure is turned into AwaitingRetry (a rejection that schedules a retry)
    failed = client.set_flow_run_state(run.id, states.Failed(message="boom"))
    assert failed.status == SetStateStatus.REJECT
    assert failed.state.type == StateType.SCHEDULED
    assert failed.state.name == "AwaitingRetry"
    after = client.read_flow_run(run.id)
    assert (after.state_type, after.state_name, after.run_count) == (StateType.SCHEDULED, "AwaitingRetry", 1)

    second = client.set_flow_run_state(run.id, states.Running())
    assert second.status == SetStateStatus.ACCEPT
    assert client.read_flow_run(run.id).run_count == 2

    # retries exhausted: the failure is accepted
    final = client.set_flow_run_state(run.id, states.Failed(message="boom again"))
    assert final.status == SetStateStatus.ACCEPT
    assert final.state.is_failed()
    assert final.state.message == "boom again"

    history = client.read_flow_run_states(run.id)
    assert types(history) == [
        ("PENDING", "Pending"),
        ("RUNNING", "Running"),
        ("SCHEDULED", "AwaitingRetry"),
        ("RUNNING", "Running"),
        ("FAILED", "Failed"),
    ]
    stamps = [s.timestamp for s in history]
    assert stamps == sorted(stamps)
    assert all(s.state_details.flow_run_id == run.id for s in history)
    assert history[-1].id == client.read_flow_run(run.id).state.id
    # a single state by id
    assert client.read_flow_run_state(history[1].id).type == StateType.RUNNING
    with pytest.raises(ObjectNotFound):
        client.read_flow_run_state(uuid.uuid4())


def test_set_flow_run_state_unknown_run_raises(client):
    with pytest.raises(ObjectNotFound):
        client.set_flow_run_state(uuid.uuid4(), states.Running())


def test_forced_state_and_rejected_transition(client, uniq):
    run = running_run(client, uniq, "force")
    # RUNNING -> PENDING is aborted by orchestration, forcing bypasses it
    aborted = client.set_flow_run_state(run.id, states.Pending())
    assert aborted.status == SetStateStatus.ABORT
    assert aborted.state.type == StateType.RUNNING  # an abort returns the current state
    assert aborted.details.reason == "This run is in a RUNNING state and cannot transition to a PENDING state."
    assert client.read_flow_run(run.id).state_type == StateType.RUNNING
    forced = client.set_flow_run_state(run.id, states.Cancelled(message="forced"), force=True)
    assert forced.status == SetStateStatus.ACCEPT
    read = client.read_flow_run(run.id)
    assert (read.state_type, read.state.message) == (StateType.CANCELLED, "forced")


def test_set_task_run_state_and_history(client, uniq):
    run = running_run(client, uniq, "taskstate")
    tr = task_run(client, run.id, f"task-{uniq}")
    assert tr.flow_run_id == run.id
    assert tr.state.is_pending()

    r1 = client.set_task_run_state(tr.id, states.Running())
    assert r1.status == SetStateStatus.ACCEPT
    assert r1.state.state_details.task_run_id == tr.id
    r2 = client.set_task_run_state(tr.id, states.Completed(message="ok"))
    assert r2.status == SetStateStatus.ACCEPT

    read = client.read_task_run(tr.id)
    assert (read.state_type, read.state_name, read.run_count) == (StateType.COMPLETED, "Completed", 1)
    assert read.start_time is not None and read.end_time is not None
    assert read.end_time >= read.start_time

    history = client.read_task_run_states(tr.id)
    assert types(history) == [("PENDING", "Pending"), ("RUNNING", "Running"), ("COMPLETED", "Completed")]
    assert all(s.state_details.task_run_id == tr.id for s in history)
    assert history[-1].message == "ok"
    assert client.read_task_run_states(uuid.uuid4()) == []
    assert client.read_flow_run_states(uuid.uuid4()) == []


def test_task_run_in_non_running_flow_is_aborted(client, uniq):
    run = client.create_flow_run(make_flow(f"runapi-pending-{uniq}"))
    tr = task_run(client, run.id, f"blocked-{uniq}")
    result = client.set_task_run_state(tr.id, states.Running())
    assert result.status == SetStateStatus.ABORT
    assert client.read_task_run(tr.id).state_type == StateType.PENDING


# --------------------------------------------------------------------------------------------
# deletes


def test_delete_flow_run_cascades(client, http, uniq):
    run = running_run(client, uniq, "delete")
    tr = task_run(client, run.id, f"doomed-{uniq}")
    client.set_task_run_state(tr.id, states.Running())
    client.create_logs([LogCreate(name="x", level=20, message=f"bye {uniq}", timestamp=T0, flow_run_id=run.id)])
    assert len(client.read_flow_run_states(run.id)) == 2

    client.delete_flow_run(run.id)

    with pytest.raises(ObjectNotFound):
        client.read_flow_run(run.id)
    with pytest.raises(ObjectNotFound):
        client.read_task_run(tr.id)
    assert client.read_flow_run_states(run.id) == []
    assert client.read_task_run_states(tr.id) == []
    with pytest.raises(ObjectNotFound):
        client.delete_flow_run(run.id)
    # the run's logs go too (the reference deletes them in a background job within ~1 s)
    deadline = dt.datetime.now() + dt.timedelta(seconds=5)
    while client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id]))):
        assert dt.datetime.now() < deadline, "logs of a deleted flow run were not deleted"
        time.sleep(0.1)
    # the flow itself stays
    assert client.read_flow(run.flow_id).id == run.flow_id


def test_delete_task_run(client, uniq):
    run = running_run(client, uniq, "deltask")
    keep = task_run(client, run.id, f"keep-{uniq}")
    drop = task_run(client, run.id, f"drop-{uniq}")
    client.set_task_run_state(drop.id, states.Running())

    client.delete_task_run(drop.id)

    with pytest.raises(ObjectNotFound):
        client.read_task_run(drop.id)
    assert client.read_task_run_states(drop.id) == []
    with pytest.raises(ObjectNotFound):
        client.delete_task_run(drop.id)
    remaining = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])))
    assert [t.id for t in remaining] == [keep.id]
    assert client.read_flow_run(run.id).state_type == StateType.RUNNING


# --------------------------------------------------------------------------------------------
# logs


def test_create_and_read_logs(client, uniq):
    run = running_run(client, uniq, "logs")
    tr = task_run(client, run.id, f"logger-{uniq}")
    other = running_run(client, uniq, "otherlogs")
    rows = [
        # (name, level, message, seconds after T0, flow run, task run)
        ("prefect.flow_runs", 20, f"start {uniq} alpha", 0, run.id, None),
        ("prefect.task_runs", 10, f"debug {uniq} beta", 1.5, run.id, tr.id),
        ("prefect.task_runs", 40, f"error {uniq} gamma, \"quoted\"", 3, run.id, tr.id),
        ("prefect.flow_runs", 30, f"warn {uniq} delta", 2, run.id, None),
        ("prefect.flow_runs", 50, f"other {uniq} alpha", 4, other.id, None),
    ]
    logs = [
        LogCreate(name=n, level=lv, message=m, timestamp=T0 + dt.timedelta(seconds=s), flow_run_id=f, task_run_id=t)
        for n, lv, m, s, f, t in rows
    ]
    assert client.create_logs(logs) is None
    client.create_logs([])  # an empty batch is fine

    in_run = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id]))
    asc = client.read_logs(in_run)
    assert all(isinstance(lg, Log) for lg in asc)
    expected_asc = [r for r in sorted(rows, key=lambda r: r[3]) if r[4] == run.id]
    assert [lg.message for lg in asc] == [r[2] for r in expected_asc]
    assert [lg.level for lg in asc] == [r[1] for r in expected_asc]
    assert [lg.name for lg in asc] == [r[0] for r in expected_asc]
    assert [lg.timestamp for lg in asc] == [T0 + dt.timedelta(seconds=r[3]) for r in expected_asc]
    assert [lg.task_run_id for lg in asc] == [r[5] for r in expected_asc]
    assert len({lg.id for lg in asc}) == len(asc)

    desc = client.read_logs(in_run, sort=LogSort.TIMESTAMP_DESC)
    assert [lg.id for lg in desc] == [lg.id for lg in reversed(asc)]
    page = client.read_logs(in_run, limit=2, offset=1)
    assert [lg.id for lg in page] == [lg.id for lg in asc[1:3]]

    both_runs = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id, other.id]))
    assert len(client.read_logs(both_runs)) == 5

    def messages(log_filter: LogFilter) -> list[str]:
        return [lg.message for lg in client.read_logs(log_filter)]

    def scoped(**kw) -> LogFilter:
        return LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id, other.id]), **kw)

    assert messages(scoped(level=LogFilterLevel(ge_=30))) == [r[2] for r in sorted(rows, key=lambda r: r[3]) if r[1] >= 30]
    assert messages(scoped(level=LogFilterLevel(ge_=20, le_=30))) == [rows[0][2], rows[3][2]]
    assert messages(scoped(task_run_id=LogFilterTaskRunId(any_=[tr.id]))) == [rows[1][2], rows[2][2]]
    # (the client's LogFilterTaskRunId has no is_null_; the differential test covers it)
    # timestamp bounds are inclusive
    window = LogFilterTimestamp(after_=T0 + dt.timedelta(seconds=1.5), before_=T0 + dt.timedelta(seconds=3))
    assert messages(scoped(timestamp=window)) == [rows[1][2], rows[3][2], rows[2][2]]
    # text search over message and name: OR of terms, -term excludes, case-insensitive
    assert messages(scoped(text=LogFilterTextSearch(query="ALPHA"))) == [rows[0][2], rows[4][2]]
    assert messages(scoped(text=LogFilterTextSearch(query="alpha -other"))) == [rows[0][2]]
    assert messages(scoped(text=LogFilterTextSearch(query="beta delta"))) == [rows[1][2], rows[3][2]]
    assert messages(scoped(text=LogFilterTextSearch(query="task_runs"))) == [rows[1][2], rows[2][2]]
    assert messages(scoped(text=LogFilterTextSearch(query='"gamma, \\"quoted"'))) in ([rows[2][2]], [])
    assert messages(scoped(text=LogFilterTextSearch(query=f"nomatch-{uniq}"))) == []


def test_logs_async_client(async_client, uniq):
    run_name = f"alogs-{uniq}"

    async def scenario():
        async with async_client() as c:
            flow_id = await c.create_flow_from_name(f"runapi-alogs-{uniq}")
            fr = await c.create_flow_run(make_flow(f"runapi-alogs-{uniq}"), name=run_name)
            await c.create_logs(
                [LogCreate(name="a", level=20, message=f"m{i}-{uniq}", timestamp=T0 + dt.timedelta(seconds=i), flow_run_id=fr.id) for i in range(3)]
            )
            got = await c.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[fr.id])), sort=LogSort.TIMESTAMP_DESC)
            return flow_id, fr, got

    flow_id, fr, got = asyncio.run(scenario())
    assert fr.flow_id == flow_id
    assert [lg.message for lg in got] == [f"m{i}-{uniq}" for i in (2, 1, 0)]


# --------------------------------------------------------------------------------------------
# updates and labels


def test_update_flow_run(client, uniq):
    run = client.create_flow_run(make_flow(f"runapi-update-{uniq}"), name=f"before-{uniq}", tags=["a"])
    client.update_flow_run(run.id, name=f"after-{uniq}", tags=["x", f"t-{uniq}"])
    read = client.read_flow_run(run.id)
    assert read.name == f"after-{uniq}"
    assert read.tags == ["x", f"t-{uniq}"]
    assert read.updated > run.updated

    client.update_flow_run(run.id, flow_version="9.9", parameters={"p": 1}, infrastructure_pid="pid-1")
    read = client.read_flow_run(run.id)
    assert (read.flow_version, read.parameters, read.infrastructure_pid) == ("9.9", {"p": 1}, "pid-1")
    assert read.name == f"after-{uniq}"  # unset keys stay

    client.set_flow_run_name(run.id, f"renamed-{uniq}")
    assert client.read_flow_run(run.id).name == f"renamed-{uniq}"

    # job variables can only be changed on a scheduled run
    with pytest.raises(PrefectHTTPStatusError) as info:
        client.update_flow_run(run.id, job_variables={"a": 1})
    assert info.value.response.status_code == 400
    assert info.value.response.json() == {"detail": "Job variables for a flow run in state PENDING cannot be updated"}

    with pytest.raises(PrefectHTTPStatusError) as info:
        client.update_flow_run(uuid.uuid4(), name="nobody")
    assert info.value.response.status_code == 404


def test_update_flow_run_labels_merges(client, uniq):
    run = client.create_flow_run(make_flow(f"runapi-labels-{uniq}"))
    base = dict(client.read_flow_run(run.id).labels)
    assert base.get("prefect.flow.id") == str(run.flow_id)

    client.update_flow_run_labels(run.id, {"team": "a", f"k-{uniq}": "v"})
    client.update_flow_run_labels(run.id, {"team": "b", "n": 3, "flag": True})
    client.update_flow_run_labels(run.id, {})
    labels = client.read_flow_run(run.id).labels
    assert dict(labels) == {**base, "team": "b", f"k-{uniq}": "v", "n": 3, "flag": True}

    with pytest.raises(PrefectHTTPStatusError) as info:
        client.update_flow_run_labels(uuid.uuid4(), {"a": "b"})
    assert info.value.response.status_code == 404


# --------------------------------------------------------------------------------------------
# task run reads


@pytest.fixture
def task_fixture(client, uniq):
    """A running flow run with four task runs scheduled at fixed past times, in assorted states,
    and one autonomous task run (no flow run) with the same name prefix."""
    run = running_run(client, uniq, "tasks")
    specs = [  # (name, seconds after T0, final states)
        (f"c-{uniq}", 30, ["RUNNING", "COMPLETED"]),
        (f"a-{uniq}", 10, ["RUNNING"]),
        (f"d-{uniq}", 0, []),
        (f"b-{uniq}", 20, ["RUNNING", "FAILED"]),
    ]
    made = {}
    for name, offset, path in specs:
        tr = task_run(client, run.id, name, state=states.Scheduled(scheduled_time=T0 + dt.timedelta(seconds=offset)))
        for s in path:
            client.set_task_run_state(tr.id, states.State(type=StateType(s)), force=True)
        made[name] = (tr.id, offset, (path or ["SCHEDULED"])[-1])
    autonomous = task_run(client, None, f"e-{uniq}")
    return run, made, autonomous


def test_read_task_runs_sorts(client, uniq, task_fixture):
    run, made, _ = task_fixture
    scope = FlowRunFilter(id=FlowRunFilterId(any_=[run.id]))

    def names(sort):
        return [t.name for t in client.read_task_runs(flow_run_filter=scope, sort=sort)]

    by_name = sorted(made)
    by_time = sorted(made, key=lambda n: made[n][1])
    assert names(TaskRunSort.NAME_ASC) == by_name
    assert names(TaskRunSort.NAME_DESC) == by_name[::-1]
    assert names(TaskRunSort.EXPECTED_START_TIME_ASC) == by_time
    assert names(TaskRunSort.EXPECTED_START_TIME_DESC) == by_time[::-1]
    by_id = sorted(made, key=lambda n: made[n][0], reverse=True)
    assert names(TaskRunSort.ID_DESC) == by_id
    assert names(None) == by_id
    # the four sorts that depend on timing still return every run once
    for sort in (TaskRunSort.NEXT_SCHEDULED_START_TIME_ASC, TaskRunSort.END_TIME_DESC, TaskRunSort.DURATION_ASC, TaskRunSort.DURATION_DESC):
        assert sorted(names(sort)) == by_name, sort
    # only the still-scheduled run has a next scheduled start time; ASC sorts NULLs first (SQLite)
    assert names(TaskRunSort.NEXT_SCHEDULED_START_TIME_ASC)[-1] == f"d-{uniq}"
    # only the completed and failed runs have an end time; DESC sorts NULLs last (SQLite)
    assert set(names(TaskRunSort.END_TIME_DESC)[:2]) == {f"b-{uniq}", f"c-{uniq}"}

    got = client.read_task_runs(flow_run_filter=scope, sort=TaskRunSort.EXPECTED_START_TIME_ASC)
    assert [t.expected_start_time for t in got] == [T0 + dt.timedelta(seconds=made[n][1]) for n in by_time]
    assert [t.state_type.value for t in got] == [made[n][2] for n in by_time]
    assert all(t.flow_run_id == run.id for t in got)

    limited = client.read_task_runs(flow_run_filter=scope, sort=TaskRunSort.NAME_ASC, limit=2, offset=1)
    assert [t.name for t in limited] == by_name[1:3]


def test_read_task_runs_filters_and_count(client, http, uniq, task_fixture):
    run, made, autonomous = task_fixture
    prefix = TaskRunFilter(name=TaskRunFilterName(like_=uniq))

    def ids(**kw) -> set:
        found = {t.id for t in client.read_task_runs(**kw)}
        body = {k: (v.model_dump(mode="json", exclude_unset=True)) for k, v in {
            "flows": kw.get("flow_filter"),
            "flow_runs": kw.get("flow_run_filter"),
            "task_runs": kw.get("task_run_filter"),
        }.items() if v is not None}
        r = http.post("task_runs/count", json=body)
        assert r.status_code == 200, r.text
        assert r.json() == len(found), body
        return found

    everything = {v[0] for v in made.values()} | {autonomous.id}
    assert ids(task_run_filter=prefix) == everything
    # a present flow run filter, even an empty one, drops the autonomous task run
    assert ids(task_run_filter=prefix, flow_run_filter=FlowRunFilter()) == everything - {autonomous.id}
    assert ids(task_run_filter=prefix, flow_filter=FlowFilter()) == everything - {autonomous.id}
    assert ids(task_run_filter=prefix, flow_filter=FlowFilter(id=FlowFilterId(any_=[run.flow_id]))) == everything - {autonomous.id}
    by_state = TaskRunFilter(
        name=TaskRunFilterName(like_=uniq),
        state=TaskRunFilterState(type=TaskRunFilterStateType(any_=[StateType.RUNNING, StateType.COMPLETED])),
    )
    assert ids(task_run_filter=by_state) == {made[f"a-{uniq}"][0], made[f"c-{uniq}"][0]}
    assert ids(task_run_filter=TaskRunFilter(name=TaskRunFilterName(any_=[f"b-{uniq}", f"e-{uniq}"]))) == {
        made[f"b-{uniq}"][0],
        autonomous.id,
    }
    assert ids(task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(is_null_=True), name=TaskRunFilterName(like_=uniq))) == {autonomous.id}
    assert ids(task_run_filter=TaskRunFilter(id=TaskRunFilterId(any_=[autonomous.id]))) == {autonomous.id}
    assert ids(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[uuid.uuid4()]))) == set()


def test_read_task_runs_async(async_client, uniq, task_fixture):
    run, made, _ = task_fixture

    async def scenario():
        async with async_client() as c:
            got = await c.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])), sort=TaskRunSort.NAME_DESC
            )
            victim = got[0]
            await c.delete_task_run(victim.id)
            with pytest.raises(ObjectNotFound):
                await c.read_task_run(victim.id)
            states_of = await c.read_task_run_states(got[1].id)
            return got, states_of

    got, states_of = asyncio.run(scenario())
    assert [t.name for t in got] == sorted(made, reverse=True)
    second = made[got[1].name]
    assert states_of[-1].type.value == second[2]


# --------------------------------------------------------------------------------------------
# resume


def test_resume_paused_flow_run(client, uniq):
    run = running_run(client, uniq, "resume")
    paused = client.set_flow_run_state(run.id, states.Paused(pause_key=f"k-{uniq}"))
    assert paused.status == SetStateStatus.ACCEPT
    assert client.read_flow_run(run.id).state_type == StateType.PAUSED

    resumed = client.resume_flow_run(run.id)
    assert resumed.status == SetStateStatus.ACCEPT
    assert resumed.state.type == StateType.RUNNING
    assert client.read_flow_run(run.id).state_type == StateType.RUNNING

    again = client.resume_flow_run(run.id)
    assert again.status == SetStateStatus.ABORT
    assert again.state is None
    assert again.details.reason == "Cannot resume a flow run that is not paused."
    assert types(client.read_flow_run_states(run.id))[-3:] == [("RUNNING", "Running"), ("PAUSED", "Paused"), ("RUNNING", "Running")]


def test_resume_suspended_without_deployment_is_rejected(client, uniq):
    run = running_run(client, uniq, "suspend")
    # a suspend needs a deployment, so set it with force
    client.set_flow_run_state(run.id, states.Suspended(pause_key="s"), force=True)
    result = client.resume_flow_run(run.id)
    assert result.status == SetStateStatus.REJECT
    assert result.state.type == StateType.PAUSED
    assert result.details.reason == "Cannot reschedule a resuming flow run without a deployment."


def test_resume_async(async_client, uniq):
    async def scenario():
        async with async_client() as c:
            fr = await c.create_flow_run(make_flow(f"runapi-aresume-{uniq}"))
            await c.set_flow_run_state(fr.id, states.Running())
            await c.set_flow_run_state(fr.id, states.Paused())
            result = await c.resume_flow_run(fr.id, run_input=None)
            return result, await c.read_flow_run(fr.id)

    result, read = asyncio.run(scenario())
    assert result.status == SetStateStatus.ACCEPT
    assert read.state_type == StateType.RUNNING


# --------------------------------------------------------------------------------------------
# flows


def test_read_flows_and_delete_flow(client, uniq):
    names = [f"runapi-flows-{uniq}-{s}" for s in ("b", "a", "c")]
    flow_ids = {n: client.create_flow_from_name(n) for n in names}
    run = client.create_flow_run(make_flow(names[0]))
    scope = FlowFilter(name=FlowFilterName(like_=f"runapi-flows-{uniq}"))

    assert [f.name for f in client.read_flows(flow_filter=scope)] == sorted(names)  # default NAME_ASC
    assert [f.name for f in client.read_flows(flow_filter=scope, sort=FlowSort.NAME_DESC)] == sorted(names, reverse=True)
    assert [f.name for f in client.read_flows(flow_filter=scope, sort=FlowSort.CREATED_DESC)] == names[::-1]
    assert [f.name for f in client.read_flows(flow_filter=scope, limit=1, offset=1)] == [sorted(names)[1]]
    assert [f.name for f in client.read_flows(flow_filter=scope, flow_run_filter=FlowRunFilter())] == [names[0]]

    client.delete_flow(flow_ids[names[0]])
    with pytest.raises(PrefectHTTPStatusError) as info:
        client.read_flow(flow_ids[names[0]])  # the sync read_flow does not map 404 to ObjectNotFound
    assert info.value.response.status_code == 404
    with pytest.raises(ObjectNotFound):
        client.read_flow_run(run.id)  # runs cascade
    with pytest.raises(ObjectNotFound):
        client.delete_flow(flow_ids[names[0]])
    assert [f.name for f in client.read_flows(flow_filter=scope)] == sorted(names[1:])


def test_delete_flow_async(async_client, uniq):
    async def scenario():
        async with async_client() as c:
            flow_id = await c.create_flow_from_name(f"runapi-adel-{uniq}")
            await c.delete_flow(flow_id)
            found = await c.read_flows(flow_filter=FlowFilter(id=FlowFilterId(any_=[flow_id])))
            with pytest.raises(ObjectNotFound):
                await c.delete_flow(flow_id)
            return found

    assert asyncio.run(scenario()) == []


# --------------------------------------------------------------------------------------------
# paginate (no client method in 3.9.1: raw http, parsed with the client's models)


def _pages(count: int, limit: int) -> int:
    return (count + limit - 1) // limit if limit else 0


def test_paginate_flow_runs(client, http, uniq):
    flow = make_flow(f"runapi-pages-{uniq}")
    runs = [client.create_flow_run(flow, name=f"p{i}-{uniq}") for i in range(5)]
    body = {"flows": {"id": {"any_": [str(runs[0].flow_id)]}}, "sort": "NAME_ASC", "limit": 2}
    names = sorted(r.name for r in runs)
    for page in (1, 2, 3, 4):
        r = http.post("flow_runs/paginate", json=body | {"page": page})
        assert r.status_code == 200, r.text
        data = r.json()
        assert list(data) == ["results", "count", "limit", "pages", "page"]
        assert (data["count"], data["limit"], data["pages"], data["page"]) == (5, 2, _pages(5, 2), page)
        got = [FlowRun.model_validate(x) for x in data["results"]]
        assert [g.name for g in got] == names[(page - 1) * 2: page * 2]
    r = http.post("flow_runs/paginate", json=body | {"limit": 0})
    assert r.json() == {"results": [], "count": 5, "limit": 0, "pages": 0, "page": 1}
    assert http.post("flow_runs/paginate", json=body | {"page": 0}).status_code == 422


def test_paginate_task_runs(client, http, uniq, task_fixture):
    run, made, autonomous = task_fixture
    body = {"task_runs": {"name": {"like_": uniq}}, "sort": "NAME_DESC", "limit": 3}
    expected = sorted([*made, f"e-{uniq}"], reverse=True)
    seen = []
    for page in (1, 2):
        data = http.post("task_runs/paginate", json=body | {"page": page}).json()
        assert (data["count"], data["pages"], data["page"], data["limit"]) == (5, 2, page, 3)
        for item in data["results"]:
            assert "state_type" not in item and "labels" not in item  # TaskRunResponse, not TaskRun
            seen.append(item["name"])
            assert item["state"]["type"] == (made[item["name"]][2] if item["name"] in made else "PENDING")
    assert seen == expected
    data = http.post("task_runs/paginate", json=body | {"flow_runs": {}, "page": 1, "limit": 10}).json()
    assert data["count"] == 4 and autonomous.id not in {uuid.UUID(x["id"]) for x in data["results"]}


def test_paginate_flows(client, http, uniq):
    names = [f"runapi-fpages-{uniq}-{i}" for i in range(3)]
    for n in names:
        client.create_flow_from_name(n)
    body = {"flows": {"name": {"like_": f"runapi-fpages-{uniq}"}}, "sort": "NAME_DESC", "limit": 2}
    first = http.post("flows/paginate", json=body).json()
    second = http.post("flows/paginate", json=body | {"page": 2}).json()
    assert (first["count"], first["pages"], first["page"]) == (3, 2, 1)
    assert (second["count"], second["pages"], second["page"]) == (3, 2, 2)
    got = [FlowModel.model_validate(x).name for x in first["results"] + second["results"]]
    assert got == sorted(names, reverse=True)
    beyond = http.post("flows/paginate", json=body | {"page": 9}).json()
    assert beyond == {"results": [], "count": 3, "limit": 2, "pages": 2, "page": 9}
