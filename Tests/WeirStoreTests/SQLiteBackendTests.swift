import Foundation
import Testing
import WeirModels
import WeirTestSupport

@testable import WeirStore

/// The embedded database's connections: statements on each connection's own thread, cached
/// statements that see schema changes, and a write-ahead log that stays bounded under load.
@Suite struct SQLiteBackendTests {
    /// A fresh SQLite backend, closed and removed afterwards.
    func withBackend(_ body: (SQLiteBackend, String) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weir-sqlite-\(UUID().uuidString)")
        let path = dir.appendingPathComponent("weir.db").path
        let backend = try await SQLiteBackend.open(path: path)
        do {
            try await body(backend, path)
            await backend.close()
        } catch {
            await backend.close()
            try? FileManager.default.removeItem(at: dir)
            throw error
        }
        try? FileManager.default.removeItem(at: dir)
    }

    @Test func continuousWritesKeepTheLogBounded() async throws {
        try await withBackend { backend, path in
            try await backend.write { db in try await db.raw("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)").run() }
            // 3,000 commits of about 3 pages each: 9,000 frames, had the log never started over.
            let body = String(repeating: "x", count: 10_000)
            for i in 0..<3_000 {
                try await backend.write { db in try await db.raw("INSERT INTO filler (id, body) VALUES (\(bind: i), \(bind: body))").run() }
            }
            let walBytes = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
            // The writer finishes a checkpoint from 4,000 frames on (once the background one, if
            // running, lets it), so the log stays within a few thousand frames of that; without
            // it this log reached 13,700 frames.
            #expect(walBytes < 8_000 * (4_096 + 24), "write-ahead log of \(walBytes) bytes")
            let n = try await backend.read { db in try await db.raw("SELECT count(*) AS n FROM filler").first()?.int("n") }
            #expect(n == 3_000)
        }
    }

    @Test func cachedStatementsFollowSchemaChanges() async throws {
        try await withBackend { backend, _ in
            try await backend.write { db in
                try await db.raw("CREATE TABLE t (a INTEGER)").run()
                try await db.raw("INSERT INTO t (a) VALUES (1)").run()
            }
            let before = try await backend.write { db in try await db.raw("SELECT * FROM t").all().first?.allColumns }
            try await backend.write { db in try await db.raw("ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'x'").run() }
            let after = try await backend.write { db in try await db.raw("SELECT * FROM t").all().first?.allColumns }
            #expect(before == ["a"] && after == ["a", "b"])
        }
    }

    @Test func cachedStatementsAreNotCompiledAgainForNewValues() async throws {
        try await withBackend { backend, _ in
            try await backend.write { db in
                try await db.raw("CREATE TABLE r (id TEXT PRIMARY KEY, q TEXT)").run()
                try await db.raw("CREATE TABLE q (id TEXT PRIMARY KEY, name TEXT)").run()
                for i in 0..<10 { try await db.raw("INSERT INTO r (id, q) VALUES (\(bind: "r\(i)"), 'q')").run() }
            }
            // A plan that looks at a parameter's value (`id = ?` with a join, as flow run reads
            // and event emission have): SQLite compiles it again whenever that value is cleared.
            for i in 0..<5 {
                _ = try await backend.write { db in
                    try await db.raw("SELECT r.id, q.name FROM r LEFT JOIN q ON q.id = r.q WHERE r.id = \(bind: "r\(i)")").all()
                }
            }
            let reprepared = try await backend.write { db in
                try await db.raw("SELECT reprep FROM sqlite_stmt WHERE sql LIKE 'SELECT r.id, q.name FROM r%'").first()?.int("reprep")
            }
            #expect(reprepared == 0)
        }
    }

    @Test func aFailedStatementLeavesTheConnectionUsable() async throws {
        try await withBackend { backend, _ in
            try await backend.write { db in try await db.raw("CREATE TABLE u (k TEXT PRIMARY KEY)").run() }
            try await backend.write { db in try await db.raw("INSERT INTO u (k) VALUES ('a')").run() }
            await #expect(throws: SQLiteFailure.self) {
                try await backend.write { db in try await db.raw("INSERT INTO u (k) VALUES ('a')").run() }
            }
            do {
                try await backend.write { db in try await db.raw("INSERT INTO u (k) VALUES ('a')").run() }
            } catch {
                #expect(isConstraintViolation(error))
            }
            try await backend.write { db in try await db.raw("INSERT INTO u (k) VALUES ('b')").run() }
            let keys = try await backend.read { db in try await db.raw("SELECT k FROM u ORDER BY k").all().map { try $0.string("k") } }
            #expect(keys == ["a", "b"])
        }
    }

    @Test func readersOpenAsConcurrentReadsNeedThem() async throws {
        try await withBackend { backend, _ in
            #expect(await backend.openReaders == 0)
            _ = try await backend.read { db in try await db.raw("SELECT 1 AS one").first()?.int("one") }
            #expect(await backend.openReaders == 1)
            // Sixteen reads at once, each holding its connection a moment: four connections serve them.
            let results = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<16 {
                    group.addTask {
                        try await backend.read { db in
                            try await Task.sleep(for: .milliseconds(20))
                            return try await db.raw("SELECT \(bind: i) AS i").first()?.int("i") ?? -1
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.sorted() == Array(0..<16))
            #expect(await backend.openReaders == 4)
        }
    }
}
