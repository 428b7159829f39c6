import SQLKit
import WeirModels

/// The history endpoints of flow runs and task runs: counts of runs per state over buckets of
/// their expected start time, with run time and lateness estimated at `now`.
struct RunHistory {
    /// `flow_run` or `task_run`.
    let table: String
    let compiler: FilterCompiler

    func buckets(_ q: HistoryQuery, backend: any StoreBackend, now: Timestamp) async throws -> [HistoryBucket] {
        let starts = q.bucketStarts
        guard let first = starts.first else { return [] }
        let end = first.adding(seconds: Double(starts.count) * q.intervalSeconds)
        let expected = SQLColumn("expected_start_time", table: table)
        let stateType = SQLColumn("state_type", table: table)
        let sql: SQLQueryString = """
            SELECT \(expected), \(stateType), \(SQLColumn("state_name", table: table)), \(RunEstimates(table: table, now: now).columns)
            FROM \(ident: table) WHERE \(expected) >= \(bind: first.microseconds) AND \(expected) < \(bind: end.microseconds)
            AND \(stateType) IS NOT NULL AND \(compiler.compile(q.condition))
            """
        let rows = try await backend.read { db in
            try await db.raw(sql).all().compactMap { r -> (expected: Timestamp, type: StateType, name: String, runTime: Double, lateness: Double)? in
                guard let type = try r.stateType("state_type") else { return nil }
                return (
                    try r.timestamp("expected_start_time"), type, try r.string("state_name"), try r.double("est_run_time"),
                    try r.double("est_lateness")
                )
            }
        }
        return History.buckets(q, runs: rows)
    }
}
