/// One bucket of `POST /flow_runs/history` or `/task_runs/history`.
public struct HistoryBucket: Sendable, Equatable, JSONWritable {
    public var intervalStart: Timestamp
    public var intervalEnd: Timestamp
    public var states: [HistoryState]

    /// A bucket.
    public init(intervalStart: Timestamp, intervalEnd: Timestamp, states: [HistoryState]) {
        self.intervalStart = intervalStart
        self.intervalEnd = intervalEnd
        self.states = states
    }

    /// Writes `{interval_start, interval_end, states}`.
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("interval_start")
        w.date(intervalStart)
        w.key("interval_end")
        w.date(intervalEnd)
        w.key("states")
        states.write(to: &w)
        w.endObject()
    }
}

/// The runs of one state in a history bucket.
public struct HistoryState: Sendable, Equatable, JSONWritable {
    public var stateType: StateType
    public var stateName: String
    public var countRuns: Int
    /// Whole seconds summed, as the reference computes on SQLite.
    public var sumEstimatedRunTime: Double
    public var sumEstimatedLateness: Double

    /// A state row.
    public init(stateType: StateType, stateName: String, countRuns: Int, sumEstimatedRunTime: Double, sumEstimatedLateness: Double) {
        self.stateType = stateType
        self.stateName = stateName
        self.countRuns = countRuns
        self.sumEstimatedRunTime = sumEstimatedRunTime
        self.sumEstimatedLateness = sumEstimatedLateness
    }

    /// Writes `{state_type, state_name, count_runs, sum_estimated_run_time, sum_estimated_lateness}`.
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("state_type")
        w.string(stateType.rawValue)
        w.key("state_name")
        w.string(stateName)
        w.key("count_runs")
        w.int(countRuns)
        w.key("sum_estimated_run_time")
        w.double(sumEstimatedRunTime)
        w.key("sum_estimated_lateness")
        w.double(sumEstimatedLateness)
        w.endObject()
    }
}

/// Groups runs into history buckets: `(expected_start_time, state type, state name, estimated run
/// time, lateness)` per run. Runs outside the buckets are ignored; sums are whole seconds.
public enum History {
    /// The buckets of a query for these runs, every bucket present, states sorted by type and name.
    public static func buckets(
        _ q: HistoryQuery,
        runs: [(expected: Timestamp, type: StateType, name: String, runTime: Double, lateness: Double)]
    ) -> [HistoryBucket] {
        let starts = q.bucketStarts
        guard !starts.isEmpty else { return [] }
        var grouped = [[String: HistoryState]](repeating: [:], count: starts.count)
        for run in runs {
            let offset = (run.expected.secondsSince(q.start) * 1000).rounded() / 1000
            guard offset >= 0 else { continue }
            let index = Int((offset / q.intervalSeconds).rounded(.down))
            guard index < starts.count else { continue }
            let key = run.type.rawValue + "\u{0}" + run.name
            var s =
                grouped[index][key]
                ?? HistoryState(stateType: run.type, stateName: run.name, countRuns: 0, sumEstimatedRunTime: 0, sumEstimatedLateness: 0)
            s.countRuns += 1
            s.sumEstimatedRunTime += max(0, run.runTime).rounded(.down)
            s.sumEstimatedLateness += max(0, run.lateness).rounded(.down)
            grouped[index][key] = s
        }
        return starts.enumerated().map { i, start in
            HistoryBucket(
                intervalStart: start,
                intervalEnd: start.adding(seconds: q.intervalSeconds),
                states: grouped[i].values.sorted { ($0.stateType.rawValue, $0.stateName) < ($1.stateType.rawValue, $1.stateName) }
            )
        }
    }
}
