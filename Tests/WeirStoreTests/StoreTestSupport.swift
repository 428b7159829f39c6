import Foundation
import WeirModels
@testable import WeirStore

/// A store on a fresh temporary database file.
func withStore(_ body: (Store) async throws -> Void) async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weir-test-\(UUID().uuidString)")
    let store = try await Store.openSQLite(path: dir.appendingPathComponent("weir.db").path)
    do {
        try await body(store)
    } catch {
        await store.close()
        try? FileManager.default.removeItem(at: dir)
        throw error
    }
    await store.close()
    try? FileManager.default.removeItem(at: dir)
}

/// Parses a Read Flow Runs body.
func runsQuery(_ text: String) throws -> ReadFlowRunsQuery {
    try ReadFlowRunsQuery.read(try JSONParser.parse(text), defaultLimit: 200)
}

/// Parses a count body.
func countQuery(_ text: String) throws -> CountFlowRunsQuery {
    try CountFlowRunsQuery.read(try JSONParser.parse(text))
}

extension Store {
    /// Creates a run of `flow` with a name, tags and an initial state.
    func run(_ flow: Flow, name: String, tags: [String] = [], state: StateCreate? = nil, pool: String? = nil, queue: String? = nil, key: String? = nil, parentTaskRunId: UUID? = nil, at now: Timestamp = .now()) async throws -> FlowRun {
        var c = FlowRunCreate()
        c.flowId = flow.id
        c.name = name
        c.tags = tags
        c.state = state
        c.workPoolName = pool
        c.workQueueName = queue
        c.idempotencyKey = key
        c.parentTaskRunId = parentTaskRunId
        return try await flowRuns.create(c, createdBy: nil, now: now).0
    }
}

/// A SCHEDULED proposal for a time.
func scheduled(_ t: Timestamp) -> StateCreate {
    var d = StateDetails()
    d.scheduledTime = t
    return StateCreate(type: .SCHEDULED, stateDetails: d)
}
