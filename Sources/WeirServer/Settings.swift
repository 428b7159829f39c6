import Foundation
import WeirStore

/// Server configuration, read from the reference's own setting names so Weir is a drop-in.
public struct Settings: Sendable {
    public var host = "127.0.0.1"
    public var port = 4200
    /// `PREFECT_SERVER_DATABASE_CONNECTION_URL`: the SQLite file or PostgreSQL server.
    public var database: DatabaseLocation
    /// `PREFECT_SERVER_DATABASE_SQLALCHEMY_POOL_SIZE`: PostgreSQL connections per Weir process.
    public var databasePoolSize = 10
    /// `PREFECT_SERVER_DATABASE_SQLALCHEMY_POOL_TIMEOUT`: seconds a request waits for a PostgreSQL
    /// connection before it is answered 503 (the database is down or the pool exhausted).
    public var databasePoolTimeout = 10.0
    /// `PREFECT_SERVER_API_DEFAULT_LIMIT`: default and maximum `limit` of filter endpoints.
    public var defaultLimit = 200
    /// `PREFECT_SERVER_API_AUTH_STRING`: when set, requests need HTTP basic auth with it.
    public var authString: String?
    /// `PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED`: run the late-runs service.
    public var lateRunsEnabled = true
    /// `PREFECT_SERVER_SERVICES_LATE_RUNS_LOOP_SECONDS`: how often it looks for late runs.
    public var lateRunsLoopSeconds = 5.0
    /// `PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS`: how far past its scheduled start a run is late.
    public var lateRunsAfterSeconds = 15.0

    /// Settings with a database and defaults elsewhere.
    public init(database: DatabaseLocation) { self.database = database }

    /// Settings with an SQLite database file and defaults elsewhere.
    public init(databasePath: String) { self.database = .sqlite(path: databasePath) }

    /// Settings from the environment: `PREFECT_SERVER_API_HOST`, `..._PORT`,
    /// `..._DATABASE_CONNECTION_URL`, `..._DATABASE_SQLALCHEMY_POOL_SIZE` and `_POOL_TIMEOUT`, `..._API_DEFAULT_LIMIT`,
    /// `..._API_AUTH_STRING`, `PREFECT_SERVER_SERVICES_LATE_RUNS_*`, `WEIR_HOME`.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> Settings {
        let home = env["WEIR_HOME"] ?? (NSHomeDirectory() + "/.weir")
        var s = Settings(databasePath: home + "/weir.db")
        if let h = env["PREFECT_SERVER_API_HOST"], !h.isEmpty { s.host = h }
        if let p = env["PREFECT_SERVER_API_PORT"], let port = Int(p) { s.port = port }
        if let url = env["PREFECT_SERVER_DATABASE_CONNECTION_URL"], !url.isEmpty { s.database = try DatabaseLocation.parse(url) }
        if let n = env["PREFECT_SERVER_DATABASE_SQLALCHEMY_POOL_SIZE"], let size = Int(n), size > 0 { s.databasePoolSize = size }
        if let t = env["PREFECT_SERVER_DATABASE_SQLALCHEMY_POOL_TIMEOUT"], let seconds = Double(t), seconds > 0 { s.databasePoolTimeout = seconds }
        if let l = env["PREFECT_SERVER_API_DEFAULT_LIMIT"], let limit = Int(l) { s.defaultLimit = limit }
        if let a = env["PREFECT_SERVER_API_AUTH_STRING"], !a.isEmpty { s.authString = a }
        if let e = env["PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED"] { s.lateRunsEnabled = !["false", "0", "no", "off"].contains(e.lowercased()) }
        if let v = env["PREFECT_SERVER_SERVICES_LATE_RUNS_LOOP_SECONDS"], let d = Double(v), d > 0 { s.lateRunsLoopSeconds = d }
        if let v = env["PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS"], let d = Double(v), d >= 0 { s.lateRunsAfterSeconds = d }
        return s
    }
}
