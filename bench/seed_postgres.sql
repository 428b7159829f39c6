-- Fills a migrated Weir PostgreSQL database with the benchmark's shape at any size, directly in
-- SQL (generate_series), for query plans at 1,000,000 runs: `bench/plans-postgres` runs it.
-- Expects flows flow-00..19, pools pool-0..9 with queue `high`, deployments dep-00..39 (created
-- through the API first) and :runs (psql variable) as the number of flow runs.
-- 9 state types evenly; tags: each of 6 tags on a quarter of the runs; 20% from a deployment;
-- 30% in a work pool; 40% with a task run (COMPLETED or FAILED); one run a minute from 2026-01-01.
\set ON_ERROR_STOP 1
BEGIN;
CREATE TEMP TABLE f AS SELECT row_number() OVER (ORDER BY name) - 1 AS n, id FROM flow;
CREATE TEMP TABLE d AS SELECT row_number() OVER (ORDER BY name) - 1 AS n, id, flow_id FROM deployment;
CREATE TEMP TABLE q AS SELECT row_number() OVER (ORDER BY wp.name) - 1 AS n, wq.id, wq.name FROM work_queue wq JOIN work_pool wp ON wp.id = wq.work_pool_id WHERE wq.name = 'high';

INSERT INTO flow_run (id, created, updated, name, flow_id, deployment_id, work_queue_id, work_queue_name, parameters,
                      tags, labels, state_id, state_type, state_name, state_timestamp, run_count, expected_start_time,
                      next_scheduled_start_time, start_time, end_time, total_run_time, empirical_policy, context, state)
SELECT r.id, r.t, r.t, 'run-' || lpad(r.i::text, 7, '0'), coalesce(d.flow_id, f.id), d.id, q.id, q.name,
       '{"i": ' || r.i || '}', r.tags, '{}', r.state_id, r.st, initcap(r.st), r.t, CASE WHEN r.ran THEN 1 ELSE 0 END,
       r.t, CASE WHEN r.st = 'SCHEDULED' THEN r.t END, CASE WHEN r.ran THEN r.t + 30000000 END,
       CASE WHEN r.st IN ('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED') THEN r.t + 90000000 END,
       CASE WHEN r.st IN ('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED') THEN 60.0 ELSE 0 END, '{}', '{}',
       '{"id": "' || r.state_id || '", "type": "' || r.st || '", "name": "' || initcap(r.st) || '", "timestamp": "2026-01-01T00:00:00Z", "message": null, "data": null, "state_details": {}}'
FROM (
    SELECT i, md5('run' || i)::uuid::text AS id, md5('state' || i)::uuid::text AS state_id,
           1767225600000000::bigint + i::bigint * 60000000 AS t,
           (ARRAY['SCHEDULED','PENDING','RUNNING','COMPLETED','FAILED','CANCELLED','CRASHED','PAUSED','CANCELLING'])[1 + i % 9] AS st,
           i % 9 NOT IN (0, 1) AS ran,
           coalesce((SELECT json_agg(tag)::text FROM unnest(ARRAY['prod','dev','eu','us','nightly','adhoc']) WITH ORDINALITY AS u(tag, k)
                     WHERE (hashint4(i * 7 + k::int) & 3) = 0), '[]') AS tags,
           hashint4(i) AS h
    FROM generate_series(1, :runs) AS i
) r
JOIN f ON f.n = abs(r.h) % 20
LEFT JOIN d ON abs(r.h) % 10 < 2 AND d.n = abs(r.h / 10) % 40
LEFT JOIN q ON abs(r.h / 100) % 10 < 3 AND q.n = abs(r.h / 1000) % 10;

INSERT INTO flow_run_state (id, flow_run_id, type, name, timestamp, message, data, state_details)
SELECT state_id, id, state_type, state_name, state_timestamp, NULL, NULL, '{}' FROM flow_run;

INSERT INTO task_run (id, created, updated, name, flow_run_id, task_key, dynamic_key, state_id, state_type, state_name,
                      state_timestamp, run_count, expected_start_time, start_time, end_time, total_run_time, state)
SELECT md5('task' || fr.id)::uuid::text, fr.created, fr.created, 't', fr.id, 't', '0', md5('taskstate' || fr.id)::uuid::text,
       CASE WHEN fr.state_type = 'COMPLETED' THEN 'COMPLETED' ELSE 'FAILED' END,
       CASE WHEN fr.state_type = 'COMPLETED' THEN 'Completed' ELSE 'Failed' END, fr.created, 1, fr.created, fr.created, fr.created, 1.0, NULL
FROM flow_run fr WHERE abs(hashtext(fr.id)) % 5 < 2;
COMMIT;
ANALYZE;
