import Foundation

/// The shapes answers share across resources: bulk deletes, pages, counts, bulk state changes,
/// and runs written with their estimates at one instant. Each writes itself; routes only pick one.

/// A value whose JSON depends on the instant it is written at (a run's estimated run time and
/// lateness are computed at read time).
public protocol InstantWritable {
    /// Writes this value with estimates computed at `now`.
    func write(to w: inout JSONWriter, now: Timestamp)
    /// About how many bytes the value writes.
    var jsonSizeHint: Int { get }
}

extension InstantWritable {
    public var jsonSizeHint: Int { 2048 }
}

extension FlowRun: InstantWritable {}
extension TaskRun: InstantWritable {}

extension Array: InstantWritable where Element: InstantWritable {
    /// Writes the elements as a JSON array, all at the same instant.
    public func write(to w: inout JSONWriter, now: Timestamp) {
        w.beginArray()
        for e in self { e.write(to: &w, now: now) }
        w.endArray()
    }

    public var jsonSizeHint: Int { 16 + 2048 * count }
}

/// A value written at one instant (by default, the moment the answer is built).
public struct AtInstant<Value: InstantWritable>: JSONWritable {
    public var value: Value
    public var now: Timestamp

    /// The value, to be written with estimates at `now`.
    public init(_ value: Value, now: Timestamp = .now()) {
        self.value = value
        self.now = now
    }

    public func write(to w: inout JSONWriter) { value.write(to: &w, now: now) }

    public var jsonSizeHint: Int { value.jsonSizeHint }
}

/// The smaller `TaskRunResponse` that `/task_runs/paginate` returns.
public struct TaskRunSummary: InstantWritable {
    public var run: TaskRun

    /// The summary of a task run.
    public init(_ run: TaskRun) { self.run = run }

    public func write(to w: inout JSONWriter, now: Timestamp) { run.writeSummary(to: &w, now: now) }
}

/// `{"deleted": [ids]}`, the bulk delete answer.
public struct DeletedIDs: JSONWritable {
    public var ids: [UUID]

    /// The ids a bulk delete removed.
    public init(_ ids: [UUID]) { self.ids = ids }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("deleted")
        w.beginArray()
        for id in ids { w.uuid(id) }
        w.endArray()
        w.endObject()
    }
}

/// A `/paginate` answer: `{results, count, limit, pages, page}`.
public struct Page<Results: JSONWritable>: JSONWritable {
    public var results: Results
    public var count: Int
    public var request: PageRequest

    /// One page of results out of `count`.
    public init(_ results: Results, count: Int, request: PageRequest) {
        self.results = results
        self.count = count
        self.request = request
    }

    public var jsonSizeHint: Int { 128 + results.jsonSizeHint }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("results")
        results.write(to: &w)
        w.key("count")
        w.int(count)
        w.key("limit")
        w.int(request.limit)
        w.key("pages")
        w.int(request.pages(count: count))
        w.key("page")
        w.int(request.page)
        w.endObject()
    }
}

extension Int: JSONWritable {
    /// A count, as `/count` answers it.
    public func write(to w: inout JSONWriter) { w.int(self) }
}

/// A float as Python's `json.dumps` writes it, or `null` (`/flow_runs/lateness`).
public struct PythonFloat: JSONWritable {
    public var value: Double?

    /// The float, or nil for `null`.
    public init(_ value: Double?) { self.value = value }

    public func write(to w: inout JSONWriter) {
        if let value { w.double(value) } else { w.null() }
    }
}

/// `null`, the body of answers that return `None` with a status (`POST /logs/`).
public struct JSONNull: JSONWritable {
    /// The null body.
    public init() {}

    public func write(to w: inout JSONWriter) { w.null() }
}

/// A bulk state change's answer: `{"results": [{flow_run_id, status, state, details}]}`.
public struct BulkSetStateResults: JSONWritable {
    public var results: [(runId: UUID, result: OrchestrationResult)]

    /// The result of each run's proposal, in the order they were made.
    public init(_ results: [(runId: UUID, result: OrchestrationResult)]) { self.results = results }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("results")
        w.beginArray()
        for (id, result) in results {
            w.beginObject()
            w.key("flow_run_id")
            w.uuid(id)
            w.key("status")
            w.string(result.status.rawValue)
            w.key("state")
            if let state = result.state { state.write(to: &w) } else { w.null() }
            w.key("details")
            result.writeDetails(to: &w)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
}
