import Foundation
import Testing
import WeirModels
import WeirTestSupport

@testable import WeirStore

/// Every benchmark sort is served by an index (no temporary B-tree for ORDER BY), and selective
/// filters search an index instead of scanning the table. On PostgreSQL, whose planner rightly
/// prefers a sequential scan of the empty test tables, the check is that an index can serve each
/// query: with sequential scans disabled, no plan scans `flow_run`. The plans on real data:
/// docs/query-plans.md (SQLite, `bench/plans-sqlite`) and docs/query-plans-postgres.md.
@Suite struct QueryPlanTests {
    static let bodies: [(String, String)] = [
        ("default body", "{}"),
        ("expected start desc", #"{"sort":"EXPECTED_START_TIME_DESC","limit":200}"#),
        ("start time window", #"{"sort":"START_TIME_DESC","flow_runs":{"start_time":{"after_":"2026-01-01","before_":"2026-02-01"}}}"#),
        ("next scheduled asc", #"{"sort":"NEXT_SCHEDULED_START_TIME_ASC"}"#),
        ("end time desc", #"{"sort":"END_TIME_DESC"}"#),
        ("name asc", #"{"sort":"NAME_ASC"}"#),
        ("state type", #"{"flow_runs":{"state":{"type":{"any_":["FAILED","CRASHED"]}}},"sort":"EXPECTED_START_TIME_DESC"}"#),
        ("deployment", #"{"deployments":{"id":{"any_":["6a1e0f1c-3c4b-4f0e-9a55-1f2d3c4b5a69"]}}}"#),
        ("work pool", #"{"work_pools":{"name":{"any_":["pool-1"]}}}"#),
        ("task run state", #"{"task_runs":{"state":{"type":{"any_":["FAILED"]}}}}"#),
        (
            "parent task run",
            #"{"flow_runs":{"parent_task_run_id":{"any_":["6a1e0f1c-3c4b-4f0e-9a55-1f2d3c4b5a69"]}},"sort":"EXPECTED_START_TIME_DESC","limit":1}"#
        ),
    ]

    @Test(arguments: bodies)
    func plansUseIndexes(name: String, body: String) async throws {
        try await withStore { store in
            if TestDatabase.isPostgres {
                let plan = try await store.flowRuns.explain(try runsQuery(body), withoutSequentialScans: true)
                print("PLAN \(name): \(body)\n  " + plan.joined(separator: "\n  "))
                #expect(!plan.contains { $0.contains("Seq Scan on flow_run") }, "no index serves it: \(plan)")
                return
            }
            // The page query is where filtering and sorting happen; the outer query reads at
            // most `limit` rows by row id.
            let full = try await store.flowRuns.explain(try runsQuery(body))
            #expect(full.first == "SEARCH flow_run USING INTEGER PRIMARY KEY (rowid=?)", "page rows not read by row id: \(full)")
            let plan = try await store.flowRuns.explain(try runsQuery(body), pageOnly: true)
            print("PLAN \(name): \(body)\n  " + plan.joined(separator: "\n  "))
            // Either the sort walks an index, or an index bounds the rows that are sorted.
            let sortsInIndex = !plan.contains { $0.contains("TEMP B-TREE FOR ORDER BY") }
            let boundedByIndex = plan.contains { $0.hasPrefix("SEARCH flow_run USING") }
            #expect(sortsInIndex || boundedByIndex, "unindexed sort over all runs: \(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN flow_run") && !$0.contains("USING") }, "full table scan: \(plan)")
        }
    }

    /// SQLite: the bodies that can match many runs (state, task run state, work pool, deployment, tags) pick their
    /// page from index entries alone, without reading a run's row until it is on the page.
    @Test(arguments: [
        #"{"flow_runs":{"state":{"type":{"any_":["FAILED","CRASHED"]}}},"limit":50}"#,
        #"{"task_runs":{"state":{"type":{"any_":["FAILED"]}}},"limit":50}"#,
        #"{"work_pools":{"name":{"any_":["pool-1"]}},"limit":50}"#,
        #"{"deployments":{"id":{"any_":["6a1e0f1c-3c4b-4f0e-9a55-1f2d3c4b5a69"]}},"limit":50}"#,
        #"{"flow_runs":{"tags":{"all_":["prod","eu"]}},"limit":200}"#,
    ])
    func manyMatchPagesFromIndexEntries(body: String) async throws {
        guard !TestDatabase.isPostgres else { return }
        try await withStore { store in
            let plan = try await store.flowRuns.explain(try runsQuery(body), pageOnly: true)
            let reads = plan.filter { $0.hasPrefix("SEARCH flow_run ") || $0.hasPrefix("SCAN flow_run ") || $0.contains(" task_run ") }
            #expect(!reads.isEmpty && reads.allSatisfy { $0.contains("COVERING INDEX") }, "reads rows to pick the page: \(plan)")
        }
    }

    /// SQLite: a task run filter first walks a window of runs in the sort's index (row ids and run
    /// ids only), probes their task runs from an index, and reads only the runs kept.
    @Test(arguments: ["ID_DESC", "EXPECTED_START_TIME_DESC", "START_TIME_DESC", "NAME_ASC"])
    func taskRunProbesWalkTheWindowInAnIndex(sort: String) async throws {
        guard !TestDatabase.isPostgres else { return }
        try await withStore { store in
            let body = #"{"task_runs":{"state":{"type":{"any_":["FAILED"]}}},"limit":200,"sort":"\#(sort)"}"#
            let plan = try #require(try await store.flowRuns.explainProbe(try runsQuery(body)))
            let runReads = plan.filter { $0.hasPrefix("SEARCH flow_run ") || ($0.hasPrefix("SCAN flow_run ") && $0.contains("INDEX")) }
            #expect(runReads.contains { $0.hasPrefix("SEARCH flow_run USING INTEGER PRIMARY KEY") }, "\(plan)")
            #expect(runReads.contains { $0.hasPrefix("SCAN flow_run USING") && $0.contains("INDEX") }, "window not from an index: \(plan)")
            #expect(plan.contains { $0.hasPrefix("SEARCH task_run") && $0.contains("COVERING INDEX") }, "\(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN task_run") }, "\(plan)")
            // The probes run on the window's rows (a co-routine of row ids and run ids), before any run is read.
            #expect(plan.contains("CO-ROUTINE flow_run"), "probes read every run of the window: \(plan)")
        }
    }
}
