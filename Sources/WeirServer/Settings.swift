import Foundation
import Logging
import WeirModels
import WeirStore

/// How large and how deep a request may be. Parsing is linear in the body's size; these bound how
/// much of it one request may ask for.
public struct RequestLimits: Sendable {
    /// `WEIR_SERVER_API_MAX_BODY_BYTES`: the largest HTTP request body; a larger one answers 413.
    /// 16 MiB holds four times the largest log batch the Prefect client sends
    /// (`PREFECT_LOGGING_TO_API_BATCH_SIZE`, 4,000,000 bytes) and any parameter set up to that
    /// size (the reference sets no limit; raise this if your runs carry larger ones).
    public var maxBodyBytes = 16 * 1024 * 1024
    /// `WEIR_SERVER_API_MAX_JSON_DEPTH`: the deepest nesting of arrays and objects in a request;
    /// deeper answers the reference's 400 for a body it cannot parse. 512 holds every value the
    /// reference can store (it fails on values nested more than 255 levels) with room to spare.
    public var maxJSONDepth = 512
    /// `WEIR_SERVER_API_MAX_WEBSOCKET_MESSAGE_BYTES`: the largest websocket message (an event), as
    /// the reference's server (uvicorn's `ws_max_size`) allows: 16 MiB.
    public var maxWebSocketMessageBytes = 16 * 1024 * 1024

    /// The defaults.
    public init() {}

    /// Nesting beyond this risks the recursion's stack on a server thread (4,096 overflowed it in a
    /// debug build), so configuration stops here; it is also the limit stored data is read with.
    static let depthCeiling = JSONParser.defaultMaxDepth
}

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
    /// `PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED`: run the scheduler, which makes the runs of
    /// deployments' schedules.
    public var schedulerEnabled = true
    /// `..._SCHEDULER_LOOP_SECONDS`: how often every deployment is looked at.
    public var schedulerLoopSeconds = 60.0
    /// `..._SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS`: how often recently changed deployments are.
    public var schedulerRecentDeploymentsLoopSeconds = 5.0
    /// `..._SCHEDULER_DEPLOYMENT_BATCH_SIZE`: deployments read per query.
    public var schedulerDeploymentBatchSize = 100
    /// `..._SCHEDULER_MAX_RUNS`, `_MIN_RUNS`, `_MAX_SCHEDULED_TIME`, `_MIN_SCHEDULED_TIME` (seconds):
    /// how many runs, and how far ahead, each schedule gets.
    public var schedulerMaxRuns = 100
    public var schedulerMinRuns = 3
    public var schedulerMaxScheduledTime = 100 * 86_400.0
    public var schedulerMinScheduledTime = 3600.0
    /// What `POST /deployments/{id}/schedule` and a scheduler pass schedule by default.
    public var scheduleWindow: ScheduleWindow {
        ScheduleWindow(
            minTime: schedulerMinScheduledTime,
            minRuns: schedulerMinRuns,
            maxRuns: schedulerMaxRuns,
            maxScheduledTime: schedulerMaxScheduledTime
        )
    }
    /// `PREFECT_SERVER_SERVICES_FOREMAN_ENABLED`: run the foreman, which marks silent workers
    /// OFFLINE and pools, queues and deployments nobody polls NOT_READY.
    public var foremanEnabled = true
    /// `..._FOREMAN_LOOP_SECONDS`, `_INACTIVITY_HEARTBEAT_MULTIPLE`,
    /// `_FALLBACK_HEARTBEAT_INTERVAL_SECONDS`, `_DEPLOYMENT_LAST_POLLED_TIMEOUT_SECONDS`,
    /// `_WORK_QUEUE_LAST_POLLED_TIMEOUT_SECONDS`.
    public var foremanLoopSeconds = 15.0
    public var foremanInactivityHeartbeatMultiple = 3
    public var foremanFallbackHeartbeatIntervalSeconds = 30
    public var foremanDeploymentLastPolledTimeoutSeconds = 60.0
    public var foremanWorkQueueLastPolledTimeoutSeconds = 60.0
    /// `PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED` and `_LOOP_SECONDS`: fail paused runs
    /// whose pause timed out.
    public var pauseExpirationsEnabled = true
    public var pauseExpirationsLoopSeconds = 5.0
    /// `PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_ENABLED`, `_LOOP_SECONDS` and
    /// `_CANCELLING_TIMEOUT_SECONDS`: cancel what a cancelled run leaves running, and runs stuck
    /// CANCELLING.
    public var cancellationCleanupEnabled = true
    public var cancellationCleanupLoopSeconds = 20.0
    public var cancellingTimeoutSeconds = 300.0
    /// `WEIR_SERVER_SERVICES_STATISTICS_LOOP_SECONDS`: how often the query planner's statistics
    /// are checked and refreshed where the tables have changed enough (on PostgreSQL only the
    /// small tables autovacuum leaves alone).
    public var statisticsLoopSeconds = 60.0
    /// Request size and depth limits.
    public var limits = RequestLimits()
    /// `LOG_LEVEL`: `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`.
    public var logLevel = Logger.Level.info

    /// Settings with a database and defaults elsewhere.
    public init(database: DatabaseLocation) { self.database = database }

    /// Settings with an SQLite database file and defaults elsewhere.
    public init(databasePath: String) { self.database = .sqlite(path: databasePath) }

    /// The directory of Weir's default database: `WEIR_HOME`, else `$HOME/.weir` (the home of the
    /// passwd entry only when `HOME` is unset), as the reference's `~/.prefect` follows `$HOME`.
    public static func home(_ env: [String: String]) -> String {
        let reader = EnvironmentReader(env)
        if let home = reader.string("WEIR_HOME") { return home }
        return (reader.string("HOME") ?? NSHomeDirectory()) + "/.weir"
    }

    /// Settings from the environment: `PREFECT_SERVER_API_HOST`, `..._PORT`,
    /// `..._DATABASE_CONNECTION_URL`, `..._DATABASE_SQLALCHEMY_POOL_SIZE` and `_POOL_TIMEOUT`,
    /// `..._API_DEFAULT_LIMIT`, `..._API_AUTH_STRING`, `PREFECT_SERVER_SERVICES_LATE_RUNS_*`,
    /// `WEIR_HOME`, `WEIR_SERVER_*`. An empty text setting counts as unset; a number or flag that
    /// does not parse (empty included, as the reference rejects it) is an error naming the setting.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> Settings {
        let e = EnvironmentReader(env)
        var s = Settings(databasePath: home(env) + "/weir.db")
        if let h = e.string("PREFECT_SERVER_API_HOST") { s.host = h }
        if let p = try e.int("PREFECT_SERVER_API_PORT", 0...65535) { s.port = p }
        if let url = e.string("PREFECT_SERVER_DATABASE_CONNECTION_URL") { s.database = try DatabaseLocation.parse(url) }
        if let n = try e.int("PREFECT_SERVER_DATABASE_SQLALCHEMY_POOL_SIZE", 1...10_000) { s.databasePoolSize = n }
        if let t = try e.seconds("PREFECT_SERVER_DATABASE_SQLALCHEMY_POOL_TIMEOUT", positive: true) { s.databasePoolTimeout = t }
        if let l = try e.int("PREFECT_SERVER_API_DEFAULT_LIMIT", 1...1_000_000) { s.defaultLimit = l }
        if let a = env["PREFECT_SERVER_API_AUTH_STRING"] {
            // Empty is refused rather than taken as unset: that would serve without auth what was
            // meant to be protected (the reference then locks every client out instead).
            guard !a.isEmpty else {
                throw SettingsError(
                    name: "PREFECT_SERVER_API_AUTH_STRING",
                    value: a,
                    reason: "is set but empty: give it a value, or unset it to serve without authentication"
                )
            }
            s.authString = a
        }
        if let b = try e.bool("PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED") { s.lateRunsEnabled = b }
        if let d = try e.seconds("PREFECT_SERVER_SERVICES_LATE_RUNS_LOOP_SECONDS", positive: true) { s.lateRunsLoopSeconds = d }
        if let d = try e.seconds("PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS", positive: false) { s.lateRunsAfterSeconds = d }
        try readScheduler(e, into: &s)
        try readForeman(e, into: &s)
        if let b = try e.bool("PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED") { s.pauseExpirationsEnabled = b }
        if let d = try e.seconds("PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_LOOP_SECONDS", positive: true) { s.pauseExpirationsLoopSeconds = d }
        if let b = try e.bool("PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_ENABLED") { s.cancellationCleanupEnabled = b }
        if let d = try e.seconds("PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_LOOP_SECONDS", positive: true) { s.cancellationCleanupLoopSeconds = d }
        if let d = try e.seconds("PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_CANCELLING_TIMEOUT_SECONDS", positive: false) {
            s.cancellingTimeoutSeconds = d
        }
        if let d = try e.seconds("WEIR_SERVER_SERVICES_STATISTICS_LOOP_SECONDS", positive: true) { s.statisticsLoopSeconds = d }
        if let n = try e.int("WEIR_SERVER_API_MAX_BODY_BYTES", 1024...Int(Int32.max)) { s.limits.maxBodyBytes = n }
        if let n = try e.int("WEIR_SERVER_API_MAX_JSON_DEPTH", 1...RequestLimits.depthCeiling) { s.limits.maxJSONDepth = n }
        if let n = try e.int("WEIR_SERVER_API_MAX_WEBSOCKET_MESSAGE_BYTES", 1024...Int(Int32.max)) { s.limits.maxWebSocketMessageBytes = n }
        if let level = e.string("LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                throw SettingsError(
                    name: "LOG_LEVEL",
                    value: level,
                    reason: "should be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            s.logLevel = parsed
        }
        return s
    }
}

extension Settings {
    /// The scheduler's settings, under `PREFECT_SERVER_SERVICES_SCHEDULER_*` or the older
    /// `PREFECT_API_SERVICES_SCHEDULER_*` the reference also accepts.
    static func readScheduler(_ e: EnvironmentReader, into s: inout Settings) throws {
        func name(_ suffix: String) -> String {
            let new = "PREFECT_SERVER_SERVICES_SCHEDULER_" + suffix
            return e.string(new) == nil && e.string("PREFECT_API_SERVICES_SCHEDULER_" + suffix) != nil
                ? "PREFECT_API_SERVICES_SCHEDULER_" + suffix : new
        }
        if let b = try e.bool(name("ENABLED")) { s.schedulerEnabled = b }
        if let d = try e.seconds(name("LOOP_SECONDS"), positive: true) { s.schedulerLoopSeconds = d }
        if let d = try e.seconds(name("RECENT_DEPLOYMENTS_LOOP_SECONDS"), positive: true) { s.schedulerRecentDeploymentsLoopSeconds = d }
        if let n = try e.int(name("DEPLOYMENT_BATCH_SIZE"), 1...100_000) { s.schedulerDeploymentBatchSize = n }
        if let n = try e.int(name("MAX_RUNS"), 0...100_000) { s.schedulerMaxRuns = n }
        if let n = try e.int(name("MIN_RUNS"), 0...100_000) { s.schedulerMinRuns = n }
        if let d = try e.seconds(name("MAX_SCHEDULED_TIME"), positive: false) { s.schedulerMaxScheduledTime = d }
        if let d = try e.seconds(name("MIN_SCHEDULED_TIME"), positive: false) { s.schedulerMinScheduledTime = d }
    }
}

extension Settings {
    /// The foreman's settings, under `PREFECT_SERVER_SERVICES_FOREMAN_*` or the older
    /// `PREFECT_API_SERVICES_FOREMAN_*`.
    static func readForeman(_ e: EnvironmentReader, into s: inout Settings) throws {
        func name(_ suffix: String) -> String {
            let new = "PREFECT_SERVER_SERVICES_FOREMAN_" + suffix
            return e.string(new) == nil && e.string("PREFECT_API_SERVICES_FOREMAN_" + suffix) != nil ? "PREFECT_API_SERVICES_FOREMAN_" + suffix : new
        }
        if let b = try e.bool(name("ENABLED")) { s.foremanEnabled = b }
        if let d = try e.seconds(name("LOOP_SECONDS"), positive: true) { s.foremanLoopSeconds = d }
        if let n = try e.int(name("INACTIVITY_HEARTBEAT_MULTIPLE"), 1...1_000_000) { s.foremanInactivityHeartbeatMultiple = n }
        if let n = try e.int(name("FALLBACK_HEARTBEAT_INTERVAL_SECONDS"), 1...100_000_000) { s.foremanFallbackHeartbeatIntervalSeconds = n }
        if let d = try e.seconds(name("DEPLOYMENT_LAST_POLLED_TIMEOUT_SECONDS"), positive: true) { s.foremanDeploymentLastPolledTimeoutSeconds = d }
        if let d = try e.seconds(name("WORK_QUEUE_LAST_POLLED_TIMEOUT_SECONDS"), positive: true) { s.foremanWorkQueueLastPolledTimeoutSeconds = d }
    }
}

/// A setting whose value Weir cannot use: which one, what it holds, and why.
public struct SettingsError: Error, CustomStringConvertible, Equatable {
    public var name: String
    public var value: String
    public var reason: String
    public var description: String { "\(name)=\(value.debugDescription): \(reason)" }
}

/// Reads settings from an environment with one rule for all of them: a text setting set to the
/// empty string is unset (scripts and container definitions often leave `X=`); a number, duration
/// or flag must parse, and an empty one is rejected, as the reference rejects it.
struct EnvironmentReader {
    let env: [String: String]

    init(_ env: [String: String]) { self.env = env }

    /// A text setting; nil when absent or empty.
    func string(_ name: String) -> String? {
        guard let value = env[name], !value.isEmpty else { return nil }
        return value
    }

    /// An integer setting within `range`; nil when absent.
    func int(_ name: String, _ range: ClosedRange<Int>) throws(SettingsError) -> Int? {
        guard let text = env[name] else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw SettingsError(name: name, value: text, reason: "should be a whole number")
        }
        guard range.contains(value) else {
            throw SettingsError(name: name, value: text, reason: "should be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    /// A number of seconds up to a million (11 days), at least 0.01 when `positive`, else not
    /// negative; nil when absent. The bounds keep a loop from spinning and time arithmetic in range.
    func seconds(_ name: String, positive: Bool) throws(SettingsError) -> Double? {
        guard let text = env[name] else { return nil }
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
            throw SettingsError(name: name, value: text, reason: "should be a number of seconds")
        }
        let lowest = positive ? 0.01 : 0
        guard value >= lowest, value <= 1_000_000 else {
            throw SettingsError(name: name, value: text, reason: "should be between \(positive ? "0.01" : "0") and 1000000 seconds")
        }
        return value
    }

    /// A flag, in the spellings pydantic accepts (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`,
    /// `t`/`f`, `y`/`n`, any case); nil when absent.
    func bool(_ name: String) throws(SettingsError) -> Bool? {
        guard let text = env[name] else { return nil }
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "1", "true", "t", "yes", "y", "on": return true
        case "0", "false", "f", "no", "n", "off": return false
        default: throw SettingsError(name: name, value: text, reason: "should be true or false")
        }
    }
}
