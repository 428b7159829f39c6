import Foundation
import Testing
import WeirModels
@testable import WeirStore
import WeirTestSupport

/// The query planner's statistics follow a database that grows under a running server, as they
/// would after a restart (issue 12: a body ran 7.6x slower until Weir was restarted).
@Suite struct StatisticsTests {
    /// `count` runs over 20 flows, as NDJSON import records.
    static func runs(_ count: Int, flows: [Flow]) throws -> [ImportRecord] {
        try (0..<count).map { i in
            let flow = flows[i % flows.count]
            let state = ["COMPLETED", "FAILED", "RUNNING", "SCHEDULED"][i % 4]
            let text = #"{"id":"\#(UUID().lowercased)","name":"run-\#(i)","flow_id":"\#(flow.id.lowercased)","tags":["t\#(i % 7)"],"state_type":"\#(state)","expected_start_time":"2026-01-01T00:00:00Z"}"#
            return try ImportRecord.read(try JSONParser.parse(text))
        }
    }

    @Test func readersPlanWithStatisticsMeasuredWhileTheServerRuns() async throws {
        guard !TestDatabase.isPostgres else { return }  // autovacuum's job there (bench/postgres_statistics.py)
        let (location, cleanup) = try TestDatabase.fresh()
        defer { cleanup() }
        let query = try runsQuery(#"{"flows":{"name":{"like_":"flow-1"}},"limit":50}"#)
        let store = try await Store.open(location)
        var flows: [Flow] = []
        for i in 0..<20 { flows.append(try await store.flows.create(FlowCreate(name: "flow-\(i)")).0) }
        _ = try await store.flowRuns.explain(query)  // a reader connection opens on the nearly empty database
        _ = try await store.imports.load(try Self.runs(5000, flows: flows))
        let stale = try await store.flowRuns.explain(query)
        let measured = try await store.refreshStatistics()
        _ = try await store.flowRuns.filter(query)  // a query (not an EXPLAIN) notices the schema change
        let refreshed = try await store.flowRuns.explain(query)
        let again = try await store.refreshStatistics()
        await store.close()
        let reopened = try await Store.open(location)
        let restarted = try await reopened.flowRuns.explain(query)
        await reopened.close()
        #expect(measured.contains { $0.contains("flow_run") })
        #expect(again.isEmpty, "measured again without growth: \(again)")
        #expect(refreshed == restarted)
        #expect(stale != restarted, "the plan did not depend on the statistics: the test proves nothing")
    }
}
