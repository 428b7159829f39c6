import Foundation

/// Reading back what Weir stored. Stored data was validated when it came in and written by Weir's
/// own writer, so reading it is not validation: a value of the wrong type is a fault (the
/// database was changed under Weir, or a bug wrote it), reported as ``StoredDataError`` rather than
/// collected as a client's issues or replaced by a default.

/// A stored value that is not what Weir writes there.
public struct StoredDataError: Error, CustomStringConvertible, Equatable {
    /// Where: a column, or a key of a stored JSON object.
    public var location: String
    /// What was wrong with it.
    public var problem: String

    /// A fault at `location`.
    public init(_ location: String, _ problem: String) {
        self.location = location
        self.problem = problem
    }

    public var description: String { "stored data at \(location): \(problem)" }
}

/// A stored JSON object, read key by key with strict types: an absent key or `null` is nil, any
/// other value of the wrong type throws.
public struct StoredObject {
    public let value: JSONValue
    /// Where the object came from, for errors (`flow_run.empirical_policy`).
    public let location: String

    /// The object stored as `text` at `location`.
    public init(text: String, location: String) throws(StoredDataError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw StoredDataError(location, "not JSON: \(error.message)")
        }
        try self.init(value, location: location)
    }

    /// A parsed stored object.
    public init(_ value: JSONValue, location: String) throws(StoredDataError) {
        guard case .object = value else { throw StoredDataError(location, "not a JSON object") }
        self.value = value
        self.location = location
    }

    /// The raw value of a key (nil when absent or null).
    public subscript(key: String) -> JSONValue? {
        guard let v = value[key], v != .null else { return nil }
        return v
    }

    private func fault(_ key: String, _ expected: String) -> StoredDataError {
        StoredDataError("\(location).\(key)", "expected \(expected)")
    }

    public func string(_ key: String) throws(StoredDataError) -> String? {
        guard let v = self[key] else { return nil }
        guard case .string(let s) = v else { throw fault(key, "a string") }
        return s
    }

    public func bool(_ key: String) throws(StoredDataError) -> Bool? {
        guard let v = self[key] else { return nil }
        guard case .bool(let b) = v else { throw fault(key, "a boolean") }
        return b
    }

    public func double(_ key: String) throws(StoredDataError) -> Double? {
        guard let v = self[key] else { return nil }
        guard case .number(let n) = v, let d = Double(n) else { throw fault(key, "a number") }
        return d
    }

    /// An integer; a float with no fraction (`3.0`) reads as one.
    public func int(_ key: String) throws(StoredDataError) -> Int? {
        guard let v = self[key] else { return nil }
        guard case .number(let n) = v else { throw fault(key, "an integer") }
        if let i = Int(n) { return i }
        guard let d = Double(n), let i = Int(exactly: d) else { throw fault(key, "an integer") }
        return i
    }

    public func uuid(_ key: String) throws(StoredDataError) -> UUID? {
        guard let v = self[key] else { return nil }
        guard case .string(let s) = v, let id = JSONField.parseUUID(s) else { throw fault(key, "a UUID") }
        return id
    }

    public func timestamp(_ key: String) throws(StoredDataError) -> Timestamp? {
        guard let v = self[key] else { return nil }
        guard case .string(let s) = v, let t = Timestamp(iso8601: s) else { throw fault(key, "a timestamp") }
        return t
    }

    public func strings(_ key: String) throws(StoredDataError) -> [String]? {
        guard let v = self[key] else { return nil }
        guard case .array(let items) = v else { throw fault(key, "a list of strings") }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard case .string(let s) = item else { throw fault(key, "a list of strings") }
            out.append(s)
        }
        return out
    }

    public func object(_ key: String) throws(StoredDataError) -> StoredObject? {
        guard let v = self[key] else { return nil }
        return try StoredObject(v, location: "\(location).\(key)")
    }

    /// A value that must be present and not null.
    public func required<T>(_ key: String, _ read: (String) throws(StoredDataError) -> T?) throws(StoredDataError) -> T {
        guard let v = try read(key) else { throw StoredDataError("\(location).\(key)", "missing") }
        return v
    }
}

extension StateDetails {
    /// Details as Weir stored them (every key optional; unknown keys ignored).
    public init(stored o: StoredObject) throws(StoredDataError) {
        flowRunId = try o.uuid("flow_run_id")
        taskRunId = try o.uuid("task_run_id")
        childFlowRunId = try o.uuid("child_flow_run_id")
        scheduledTime = try o.timestamp("scheduled_time")
        if case .string(let text)? = o.value["scheduled_time"] { scheduledTimeOffset = Timestamp.utcOffset(ofISO8601: text) }
        cacheKey = try o.string("cache_key")
        cacheExpiration = try o.timestamp("cache_expiration")
        deferred = o.value["deferred"] == nil ? false : try o.bool("deferred")
        untrackableResult = try o.bool("untrackable_result") ?? false
        pauseTimeout = try o.timestamp("pause_timeout")
        pauseReschedule = try o.bool("pause_reschedule") ?? false
        pauseKey = try o.string("pause_key")
        runInputKeyset = o["run_input_keyset"]
        refreshCache = try o.bool("refresh_cache")
        retriable = try o.bool("retriable")
        transitionId = try o.uuid("transition_id")
        taskParametersId = try o.uuid("task_parameters_id")
        traceparent = try o.string("traceparent")
        deploymentConcurrencyLeaseId = try o.uuid("deployment_concurrency_lease_id")
    }
}

extension State {
    /// A state as Weir stored it (a run's `state` column).
    public init(stored o: StoredObject) throws(StoredDataError) {
        let type = try o.required("type") { (k) throws(StoredDataError) -> StateType? in
            guard let s = try o.string(k) else { return nil }
            guard let t = StateType(rawValue: s) else { throw StoredDataError("\(o.location).type", "unknown state type \(s)") }
            return t
        }
        self.init(
            id: try o.required("id", o.uuid),
            type: type,
            name: try o.string("name") ?? type.defaultName,
            timestamp: try o.required("timestamp", o.timestamp),
            message: try o.string("message"),
            data: o["data"],
            stateDetails: try o.object("state_details").map { (d) throws(StoredDataError) in try StateDetails(stored: d) } ?? StateDetails()
        )
    }
}

extension FlowRunPolicy {
    /// A policy as Weir stored it, normalised as ``read(_:)`` normalises one that comes in (an
    /// imported database holds the reference's rows as they are): `retries`/`retry_delay` from the
    /// deprecated fields, pause keys once each.
    public init(stored o: StoredObject) throws(StoredDataError) {
        self.init()
        maxRetries = try o.int("max_retries") ?? 0
        retryDelaySeconds = try o.double("retry_delay_seconds") ?? 0
        retries = try o.int("retries")
        retryDelay = try o.int("retry_delay")
        var seen = Set<String>()
        pauseKeys = (try o.strings("pause_keys") ?? []).filter { seen.insert($0).inserted }
        resuming = o.value["resuming"] == nil ? false : try o.bool("resuming")
        retryType = try o.string("retry_type")
        fillDeprecatedFields()
    }
}
