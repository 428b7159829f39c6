import Foundation
import WeirStore

/// The database the Swift tests run on: a fresh SQLite file by default, or, when
/// `WEIR_TEST_DATABASE_URL` names a PostgreSQL server, a fresh database created on it for each test.
public enum TestDatabase {
    /// The PostgreSQL server the tests use, if any.
    public static var serverURL: String? {
        ProcessInfo.processInfo.environment["WEIR_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// True when the tests run on PostgreSQL.
    public static var isPostgres: Bool { serverURL != nil }

    /// A new empty database's location, and what removes it afterwards.
    public static func fresh() throws -> (DatabaseLocation, cleanup: @Sendable () -> Void) {
        if let base = serverURL {
            let name = "weir_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16))"
            try psql(base, "CREATE DATABASE \(name)")
            let location = try DatabaseLocation.parse(replacingDatabase(in: base, with: name))
            return (location, { try? psql(base, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") })
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weir-test-\(UUID().uuidString)")
        return (.sqlite(path: dir.appendingPathComponent("weir.db").path), { try? FileManager.default.removeItem(at: dir) })
    }

    /// Runs `body` with a store on a fresh database, closing and removing it afterwards.
    public static func withStore<T>(_ body: (Store) async throws -> T) async throws -> T {
        let (location, cleanup) = try fresh()
        let store = try await Store.open(location, poolSize: 8)
        do {
            let result = try await body(store)
            await store.close()
            cleanup()
            return result
        } catch {
            await store.close()
            cleanup()
            throw error
        }
    }

    /// `postgresql://u@h:p/db?q` with another database name.
    static func replacingDatabase(in url: String, with name: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authority = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let query = rest.firstIndex(of: "?").map { String(rest[$0...]) } ?? ""
        return String(url[..<scheme.upperBound]) + authority + "/" + name + query
    }

    /// Runs one SQL statement with `psql`.
    static func psql(_ url: String, _ sql: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        if p.terminationStatus != 0 { throw TestDatabaseError(message: "psql failed: \(sql)") }
    }
}

/// The test database could not be prepared.
public struct TestDatabaseError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
