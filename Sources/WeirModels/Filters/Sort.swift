/// Sorts as structured keys: what each of the reference's sort names orders by, in which
/// direction, and where nulls go. The store renders the keys for its database; nothing here is SQL.

/// What a sort key orders by.
public enum SortValue: Sendable, Equatable {
    case column(FilterColumn)
    /// A task run's run time estimated at the query's instant (the reference's `DURATION_*` sorts).
    case estimatedRunTime
}

/// Where a key puts null values.
public enum NullOrder: Sendable, Equatable {
    /// As the smallest value (SQLite's rule, which the reference's answers follow): first when
    /// ascending, last when descending, on every database.
    case smallest
    /// The database's own order, for keys that are never null: PostgreSQL's primary key index
    /// then serves a sort on the id alone in either direction.
    case neverNull
}

/// One key of a sort.
public struct SortKey: Sendable, Equatable {
    public var value: SortValue
    public var descending: Bool
    public var nulls: NullOrder

    /// A key on `value`.
    public init(_ value: SortValue, descending: Bool, nulls: NullOrder = .smallest) {
        self.value = value
        self.descending = descending
        self.nulls = nulls
    }

    /// Ascending on a column.
    public static func ascending(_ column: FilterColumn, nulls: NullOrder = .smallest) -> SortKey {
        SortKey(.column(column), descending: false, nulls: nulls)
    }

    /// Descending on a column.
    public static func descending(_ column: FilterColumn, nulls: NullOrder = .smallest) -> SortKey {
        SortKey(.column(column), descending: true, nulls: nulls)
    }
}

extension FlowRunSort {
    /// The keys, each ending with the id so that the order is total (pages never overlap).
    public var keys: [SortKey] {
        switch self {
        case .ID_DESC: [.descending(.runId, nulls: .neverNull)]
        case .START_TIME_ASC: [.ascending(.runStartOrExpected), .ascending(.runId)]
        case .START_TIME_DESC: [.descending(.runStartOrExpected), .descending(.runId)]
        case .EXPECTED_START_TIME_ASC: [.ascending(.runExpectedStartTime), .ascending(.runId)]
        case .EXPECTED_START_TIME_DESC: [.descending(.runExpectedStartTime), .descending(.runId)]
        case .NAME_ASC: [.ascending(.runName), .ascending(.runId)]
        case .NAME_DESC: [.descending(.runName), .descending(.runId)]
        case .NEXT_SCHEDULED_START_TIME_ASC: [.ascending(.runNextScheduledStartTime), .ascending(.runId)]
        case .END_TIME_DESC: [.descending(.runEndTime), .descending(.runId)]
        }
    }
}

extension TaskRunSort {
    /// The keys, each ending with the id so that the order is total.
    public var keys: [SortKey] {
        switch self {
        case .ID_DESC: [.descending(.taskId, nulls: .neverNull)]
        case .EXPECTED_START_TIME_ASC: [.ascending(.taskExpectedStartTime), .ascending(.taskId)]
        case .EXPECTED_START_TIME_DESC: [.descending(.taskExpectedStartTime), .descending(.taskId)]
        case .NAME_ASC: [.ascending(.taskName), .ascending(.taskId)]
        case .NAME_DESC: [.descending(.taskName), .descending(.taskId)]
        case .NEXT_SCHEDULED_START_TIME_ASC: [.ascending(.taskNextScheduledStartTime), .ascending(.taskId)]
        case .END_TIME_DESC: [.descending(.taskEndTime), .descending(.taskId)]
        case .DURATION_DESC: [SortKey(.estimatedRunTime, descending: true), .descending(.taskExpectedStartTime), .descending(.taskId)]
        case .DURATION_ASC: [SortKey(.estimatedRunTime, descending: false), .descending(.taskExpectedStartTime), .descending(.taskId)]
        }
    }
}

extension FlowSort {
    /// The keys; names are unique, so a name sort needs no id.
    public var keys: [SortKey] {
        switch self {
        case .CREATED_DESC: [.descending(.flowCreated, nulls: .neverNull), .descending(.flowId, nulls: .neverNull)]
        case .UPDATED_DESC: [.descending(.flowUpdated, nulls: .neverNull), .descending(.flowId, nulls: .neverNull)]
        case .NAME_ASC: [.ascending(.flowName, nulls: .neverNull)]
        case .NAME_DESC: [.descending(.flowName, nulls: .neverNull)]
        }
    }
}

extension DeploymentSort {
    /// The keys, each ending with the id.
    public var keys: [SortKey] {
        switch self {
        case .CREATED_DESC: [.descending(.deploymentCreated, nulls: .neverNull), .descending(.deploymentId, nulls: .neverNull)]
        case .UPDATED_DESC: [.descending(.deploymentUpdated, nulls: .neverNull), .descending(.deploymentId, nulls: .neverNull)]
        case .NAME_ASC: [.ascending(.deploymentName, nulls: .neverNull), .ascending(.deploymentId, nulls: .neverNull)]
        case .NAME_DESC: [.descending(.deploymentName, nulls: .neverNull), .descending(.deploymentId, nulls: .neverNull)]
        }
    }
}

extension LogSort {
    /// The keys, each ending with the id.
    public var keys: [SortKey] {
        switch self {
        case .TIMESTAMP_ASC: [.ascending(.logTimestamp, nulls: .neverNull), .ascending(.logId, nulls: .neverNull)]
        case .TIMESTAMP_DESC: [.descending(.logTimestamp, nulls: .neverNull), .descending(.logId, nulls: .neverNull)]
        }
    }
}
