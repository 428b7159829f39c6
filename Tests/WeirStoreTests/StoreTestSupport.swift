import Foundation
import WeirModels
import WeirTestSupport

@testable import WeirStore

/// A store on a fresh database (SQLite, or PostgreSQL when `WEIR_TEST_DATABASE_URL` is set).
func withStore(_ body: (Store) async throws -> Void) async throws {
    try await TestDatabase.withStore(body)
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
    func run(
        _ flow: Flow,
        name: String,
        tags: [String] = [],
        state: StateCreate? = nil,
        pool: String? = nil,
        queue: String? = nil,
        key: String? = nil,
        parentTaskRunId: UUID? = nil,
        at now: Timestamp = .now()
    ) async throws -> FlowRun {
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
