import Foundation
import Testing
import WeirModels
import WeirTestSupport

@testable import WeirStore

/// The query planner's statistics follow a database that grows under a running server, as they
/// would after a restart (issue 12: a body ran 7.6x slower until Weir was restarted).
@Suite struct StatisticsTests {
    /// `count` runs over 20 flows, as NDJSON import records.
    static func runs(_ count: Int, flows: [Flow]) throws -> [ImportRecord] {
        try (0..<count).map { i in
            let flow = flows[i % flows.count]
            let state = ["COMPLETED", "FAILED", "RUNNING", "SCHEDULED"][i % 4]
            let text =
                #"{"id":"\#(UUID().lowercased)","name":"run-\#(i)","flow_id":"\#(flow.id.lowercased)","tags":["t\#(i % 7)"],"state_type":"\#(state)","expected_start_time":"2026-01-01T00:00:00Z"}"#
            return try ImportRecord.read(try JSONParser.parse(text))
        }
    }

    @Test func readersPlanWithStatisticsMeasuredWhileTheServerRuns() async throws {
        guard !TestDatabase.isPostgres else { return try await smallTablesAreMeasuredOnPostgres() }
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
        // Runs that move through their states change the table without growing it: once a tenth
        // of the measured rows changed, everything is measured again, as autovacuum would.
        let page = try await store.flowRuns.filter(try runsQuery(#"{"limit":200,"sort":"NAME_ASC"}"#))
        for run in page + (try await store.flowRuns.filter(try runsQuery(#"{"limit":200,"sort":"NAME_DESC"}"#))) {
            _ = try await store.flowRuns.setState(run.id, SetStateRequest(state: StateCreate(type: .CANCELLED), force: true))
        }
        let afterChanges = try await store.refreshStatistics()
        await store.close()
        let reopened = try await Store.open(location)
        let restarted = try await reopened.flowRuns.explain(query)
        await reopened.close()
        #expect(measured.contains("flow_run") && measured.contains("flow"))
        #expect(again.isEmpty, "measured again without growth: \(again)")
        #expect(afterChanges.contains("flow_run") && afterChanges.contains("flow_run_state"), "\(afterChanges)")
        #expect(refreshed == restarted)
        #expect(stale != restarted, "the plan did not depend on the statistics: the test proves nothing")
    }

    /// PostgreSQL: a table with fewer changes than autovacuum's threshold (50) is measured here.
    func smallTablesAreMeasuredOnPostgres() async throws {
        try await withStore { store in
            for i in 0..<20 { _ = try await store.flows.create(FlowCreate(name: "flow-\(i)")) }
            // The activity statistics PostgreSQL reads the changes from are published in the
            // background: wait for them.
            var measured: [String] = []
            for _ in 0..<50 where !measured.contains("flow") {
                measured += try await store.refreshStatistics()
                if !measured.contains("flow") { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(measured.contains("flow"), "\(measured)")
            #expect(try await store.refreshStatistics().isEmpty)
        }
    }
}
