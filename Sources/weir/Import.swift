import ArgumentParser
import Foundation
import WeirModels
import WeirServer
import WeirStore

/// `weir import`: loads flow runs and task runs from NDJSON, one run per line in the shape the API
/// returns them (`POST /api/flow_runs/filter` and `/api/task_runs/filter` items; a line with a
/// `task_key` is a task run), e.g. exported page by page from another Prefect server. The flows,
/// deployments and work pools they refer to must exist; runs already present (same id) are skipped.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load flow runs and task runs from an NDJSON file (- for standard input).")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Runs per transaction.")
    var batch = 5000
    @Argument(help: "The NDJSON file, or - for standard input.")
    var file: String

    func run() async throws {
        let settings = try database.settings()
        guard let input = file == "-" ? fdopen(0, "r") : fopen(file, "r") else { throw ImportError("cannot open \(file)") }
        defer { if file != "-" { fclose(input) } }
        let store = try await Store.open(settings.database, poolSize: 2)
        let started = Date()
        var total = ImportRepository.Outcome()
        do {
            var records: [ImportRecord] = []
            var lineNumber = 0
            var firstLineOfBatch = 1
            var line: UnsafeMutablePointer<CChar>?
            var capacity = 0
            func flush() async throws {
                guard !records.isEmpty else { return }
                do {
                    let outcome = try await store.imports.load(records)
                    total.flowRuns += outcome.flowRuns
                    total.taskRuns += outcome.taskRuns
                    total.skipped += outcome.skipped
                } catch let e as StoreError {
                    throw ImportError("lines \(firstLineOfBatch)-\(lineNumber): \(e.message) (nothing from these lines was written)")
                }
                records.removeAll(keepingCapacity: true)
                firstLineOfBatch = lineNumber + 1
            }
            while getline(&line, &capacity, input) > 0, let line {
                lineNumber += 1
                let text = String(cString: line)
                if text.allSatisfy(\.isWhitespace) { continue }
                do {
                    records.append(try ImportRecord.read(try JSONParser.parse(text)))
                } catch let e as ValidationFailure {
                    throw ImportError(
                        "line \(lineNumber): "
                            + e.issues.map { issue in
                                let field = issue.loc.map { item -> String in
                                    switch item {
                                    case .key(let k): return k
                                    case .index(let i): return String(i)
                                    }
                                }.joined(separator: ".")
                                return "\(field): \(issue.msg)"
                            }.joined(separator: "; ")
                    )
                } catch {
                    throw ImportError("line \(lineNumber): not JSON (\(error))")
                }
                if records.count >= batch { try await flush() }
            }
            free(line)
            try await flush()
            try await store.imports.analyze()
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        let seconds = Date().timeIntervalSince(started)
        print(
            "imported \(total.flowRuns) flow runs and \(total.taskRuns) task runs (\(total.skipped) already present) in \(String(format: "%.1f", seconds)) s"
        )
    }
}

/// An import that stops: which line and why.
struct ImportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `weir query-time`: how long a Read Flow Runs body takes without HTTP: the SQL alone (rows
/// fetched, not decoded) and the whole answer (rows decoded into runs and encoded as the API's
/// JSON), as medians over repeated runs. Prints one JSON object; the benchmark uses it to put
/// each request's time next to the database's own cost.
struct QueryTime: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query-time",
        abstract: "Time a Read Flow Runs body in-process (SQL only, and SQL + decoding + JSON)."
    )
    @OptionGroup var database: DatabaseOptions
    @Option(help: "The request body, as JSON.")
    var body = "{}"
    @Flag(help: "Time it as a POST /flow_runs/count body.")
    var count = false
    @Option(name: .customLong("repeat"), help: "How many timed runs (after one warm-up).")
    var repetitions = 50

    func run() async throws {
        let settings = try database.settings()
        let json = try JSONParser.parse(body)
        let store = try await Store.open(settings.database, poolSize: 2)
        var sql: [Double] = []
        var total: [Double] = []
        var rows = 0
        var bytes = 0
        do {
            if count {
                let q = try CountFlowRunsQuery.read(json)
                for i in 0...repetitions {
                    let t0 = DispatchTime.now()
                    rows = try await store.flowRuns.count(q)
                    let ms = Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e6
                    if i > 0 {
                        sql.append(ms)
                        total.append(ms)
                    }
                }
            } else {
                let q = try ReadFlowRunsQuery.read(json, defaultLimit: settings.defaultLimit)
                for i in 0...repetitions {
                    var t0 = DispatchTime.now()
                    rows = try await store.flowRuns.fetchRows(q)
                    let sqlMs = Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e6
                    t0 = DispatchTime.now()
                    bytes = FlowRun.jsonArray(try await store.flowRuns.filter(q)).count
                    let totalMs = Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e6
                    if i > 0 {
                        sql.append(sqlMs)
                        total.append(totalMs)
                    }
                }
            }
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        func median(_ xs: [Double]) -> Double {
            let s = xs.sorted()
            return s.isEmpty ? 0 : s[s.count / 2]
        }
        print(#"{"sql_ms": \#(median(sql)), "total_ms": \#(median(total)), "rows": \#(rows), "bytes": \#(bytes), "repeat": \#(repetitions)}"#)
    }
}
