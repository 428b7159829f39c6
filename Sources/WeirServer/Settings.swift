import Foundation

/// Server configuration, read from the reference's own setting names so Weir is a drop-in.
public struct Settings: Sendable {
    public var host = "127.0.0.1"
    public var port = 4200
    /// The SQLite database file.
    public var databasePath: String
    /// `PREFECT_SERVER_API_DEFAULT_LIMIT`: default and maximum `limit` of filter endpoints.
    public var defaultLimit = 200
    /// `PREFECT_SERVER_API_AUTH_STRING`: when set, requests need HTTP basic auth with it.
    public var authString: String?

    /// Settings with a database path and defaults elsewhere.
    public init(databasePath: String) { self.databasePath = databasePath }

    /// Settings from the environment: `PREFECT_SERVER_API_HOST`, `..._PORT`,
    /// `..._DATABASE_CONNECTION_URL`, `..._API_DEFAULT_LIMIT`, `..._API_AUTH_STRING`, `WEIR_HOME`.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> Settings {
        let home = env["WEIR_HOME"] ?? (NSHomeDirectory() + "/.weir")
        var s = Settings(databasePath: home + "/weir.db")
        if let h = env["PREFECT_SERVER_API_HOST"], !h.isEmpty { s.host = h }
        if let p = env["PREFECT_SERVER_API_PORT"], let port = Int(p) { s.port = port }
        if let url = env["PREFECT_SERVER_DATABASE_CONNECTION_URL"], !url.isEmpty { s.databasePath = try databasePath(fromURL: url) }
        if let l = env["PREFECT_SERVER_API_DEFAULT_LIMIT"], let limit = Int(l) { s.defaultLimit = limit }
        if let a = env["PREFECT_SERVER_API_AUTH_STRING"], !a.isEmpty { s.authString = a }
        return s
    }

    /// The file path of an SQLite URL: `sqlite+aiosqlite:///path`, `sqlite:///path`, `sqlite:path` or a bare path.
    public static func databasePath(fromURL url: String) throws -> String {
        for prefix in ["sqlite+aiosqlite:///", "sqlite:///", "sqlite://", "sqlite:"] where url.hasPrefix(prefix) {
            let rest = String(url.dropFirst(prefix.count))
            let path = rest.split(separator: "?", maxSplits: 1).first.map(String.init) ?? rest
            return prefix.hasSuffix("///") ? "/" + path : path
        }
        if url.hasPrefix("postgres") {
            throw SettingsError(message: "PostgreSQL is not supported yet; use an SQLite URL (sqlite+aiosqlite:///path/to/weir.db)")
        }
        if url.contains("://") { throw SettingsError(message: "unsupported database URL: \(url)") }
        return url
    }
}

/// A configuration value Weir cannot use.
public struct SettingsError: Error, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    public var description: String { message }
}
