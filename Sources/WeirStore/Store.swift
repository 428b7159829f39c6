import Logging
import SQLKit
import WeirModels
import WeirOrchestration

/// Weir's persistence: one repository per resource over one database.
public struct Store: Sendable {
    /// The database the repositories share.
    public let backend: any StoreBackend
    public var flows: FlowRepository { FlowRepository(backend: backend) }
    public var flowRuns: FlowRunRepository { FlowRunRepository(backend: backend) }
    public var taskRuns: TaskRunRepository { TaskRunRepository(backend: backend) }
    public var deployments: DeploymentRepository { DeploymentRepository(backend: backend) }
    public var workPools: WorkPoolRepository { WorkPoolRepository(backend: backend) }
    public var workers: WorkerRepository { WorkerRepository(backend: backend) }
    public var logs: LogRepository { LogRepository(backend: backend) }
    public var states: StateHistoryRepository { StateHistoryRepository(backend: backend) }
    public var events: EventRepository { EventRepository(backend: backend) }
    public var services: ServiceRepository { ServiceRepository(backend: backend) }
    public var imports: ImportRepository { ImportRepository(backend: backend) }

    /// A store over an open backend.
    public init(backend: any StoreBackend) { self.backend = backend }

    /// Opens the SQLite database at `path`, migrating it.
    public static func openSQLite(path: String, logger: Logger = Logger(label: "weir.store")) async throws -> Store {
        Store(backend: try await SQLiteBackend.open(path: path, logger: logger))
    }

    /// Opens (and migrates) the database at `location`. PostgreSQL keeps up to `poolSize`
    /// connections and fails a request that waits `poolTimeout` seconds for one as unavailable.
    public static func open(
        _ location: DatabaseLocation,
        poolSize: Int = 10,
        poolTimeout: Double = 10,
        logger: Logger = Logger(label: "weir.store")
    ) async throws -> Store {
        switch location {
        case .sqlite(let path): return try await openSQLite(path: path, logger: logger)
        case .postgres(let p):
            let timeout = Duration.milliseconds(Int(max(0.1, poolTimeout) * 1000))
            return Store(backend: try await PostgresBackend.open(p, poolSize: poolSize, acquireTimeout: timeout, logger: logger))
        }
    }

    /// Whether the database answers a trivial query now (the readiness probe).
    public func isConnectable() async -> Bool {
        // Deliberate try?: any failure means not ready, which is the answer.
        (try? await backend.read { db in try await db.raw("SELECT 1 AS ok").first() }) != nil
    }

    /// Refreshes the query planner's statistics where tables changed enough; the tables measured.
    public func refreshStatistics() async throws -> [String] { try await backend.refreshStatistics() }

    /// Closes the database.
    public func close() async { await backend.close() }
}
