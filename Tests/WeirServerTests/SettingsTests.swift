import Foundation
import Testing
import WeirStore

@testable import WeirServer

/// Settings from the environment: empty text is unset, numbers and flags must parse, and the
/// default database follows `WEIR_HOME`, then `HOME`.
@Suite struct SettingsTests {
    @Test func defaultDatabaseFollowsWeirHomeThenHome() throws {
        #expect(try Settings.fromEnvironment(["WEIR_HOME": "/data/weir", "HOME": "/home/u"]).database == .sqlite(path: "/data/weir/weir.db"))
        #expect(try Settings.fromEnvironment(["WEIR_HOME": "", "HOME": "/home/u"]).database == .sqlite(path: "/home/u/.weir/weir.db"))
        #expect(try Settings.fromEnvironment(["HOME": "/some/dir"]).database == .sqlite(path: "/some/dir/.weir/weir.db"))
        // Neither: the passwd entry's home, never the filesystem root.
        guard case .sqlite(let path) = try Settings.fromEnvironment(["WEIR_HOME": "", "HOME": ""]).database else {
            Issue.record("not sqlite")
            return
        }
        #expect(path.hasSuffix("/.weir/weir.db") && path != "/.weir/weir.db" || NSHomeDirectory() == "/")
    }

    @Test func emptyTextSettingsAreUnset() throws {
        let s = try Settings.fromEnvironment([
            "HOME": "/h", "PREFECT_SERVER_API_HOST": "", "PREFECT_SERVER_DATABASE_CONNECTION_URL": "", "LOG_LEVEL": "",
        ])
        #expect(s.host == "127.0.0.1" && s.database == .sqlite(path: "/h/.weir/weir.db") && s.authString == nil && s.logLevel == .info)
    }

    /// Taking an empty auth string as unset would serve without auth what was meant to be protected.
    @Test func anEmptyAuthStringIsRefused() {
        #expect(throws: SettingsError.self) { try Settings.fromEnvironment(["PREFECT_SERVER_API_AUTH_STRING": ""]) }
    }

    @Test func credentialsStayOutOfMessages() {
        do {
            _ = try DatabaseLocation.parse("mysql://user:hunter2@db/x")
            Issue.record("accepted")
        } catch {
            #expect(!"\(error)".contains("hunter2") && "\(error)".contains("mysql://***@db/x"))
        }
    }

    @Test func settingsAreRead() throws {
        let s = try Settings.fromEnvironment([
            "PREFECT_SERVER_API_HOST": "0.0.0.0", "PREFECT_SERVER_API_PORT": "4321", "PREFECT_SERVER_API_DEFAULT_LIMIT": "50",
            "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "Off", "PREFECT_SERVER_SERVICES_LATE_RUNS_LOOP_SECONDS": "2.5",
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": "sqlite+aiosqlite:///tmp/x.db", "WEIR_SERVER_API_MAX_BODY_BYTES": "1048576",
            "WEIR_SERVER_API_MAX_JSON_DEPTH": "64", "WEIR_SERVER_SERVICES_STATISTICS_LOOP_SECONDS": "30", "LOG_LEVEL": "DEBUG",
        ])
        #expect(s.logLevel == .debug)
        #expect(s.host == "0.0.0.0" && s.port == 4321 && s.defaultLimit == 50 && !s.lateRunsEnabled && s.lateRunsLoopSeconds == 2.5)
        #expect(s.database == .sqlite(path: "/tmp/x.db") && s.limits.maxBodyBytes == 1_048_576 && s.limits.maxJSONDepth == 64)
        #expect(s.statisticsLoopSeconds == 30)
    }

    @Test(arguments: [
        ("PREFECT_SERVER_API_PORT", ""), ("PREFECT_SERVER_API_PORT", "abc"), ("PREFECT_SERVER_API_PORT", "70000"),
        ("PREFECT_SERVER_API_DEFAULT_LIMIT", ""), ("PREFECT_SERVER_DATABASE_SQLALCHEMY_POOL_SIZE", "0"),
        ("PREFECT_SERVER_DATABASE_SQLALCHEMY_POOL_TIMEOUT", "-1"), ("PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED", ""),
        ("PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED", "maybe"), ("PREFECT_SERVER_SERVICES_LATE_RUNS_LOOP_SECONDS", "nan"),
        ("PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS", "-5"), ("WEIR_SERVER_API_MAX_JSON_DEPTH", "100000"),
        ("WEIR_SERVER_API_MAX_BODY_BYTES", "10"), ("WEIR_SERVER_SERVICES_STATISTICS_LOOP_SECONDS", "1e300"),
        ("WEIR_SERVER_SERVICES_STATISTICS_LOOP_SECONDS", "0.000001"), ("PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS", "1e18"),
        ("LOG_LEVEL", "loud"),
    ])
    func unusableNumbersAndFlagsAreRejectedByName(name: String, value: String) {
        do {
            _ = try Settings.fromEnvironment([name: value])
            Issue.record("\(name)=\(value) was accepted")
        } catch let error as SettingsError {
            #expect(error.name == name && error.description.hasPrefix("\(name)="))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
