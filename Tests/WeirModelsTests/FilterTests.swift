import Foundation
import Testing

@testable import WeirModels

@Suite struct FilterTests {
    func query(_ text: String) throws -> ReadFlowRunsQuery {
        try ReadFlowRunsQuery.read(try JSONParser.parse(text), defaultLimit: 200)
    }

    func issues(_ text: String) -> [ValidationIssue] {
        do {
            _ = try query(text)
            return []
        } catch let f as ValidationFailure {
            return f.issues
        } catch {
            return []
        }
    }

    @Test func emptyBodyHasDefaults() throws {
        let q = try ReadFlowRunsQuery.read(nil, defaultLimit: 200)
        #expect(q.sort == .ID_DESC && q.paging == Paging(limit: 200, offset: 0) && q.filter.condition == .always)
    }

    @Test func anyEmptyMatchesNothingButNotAnyEmptyIsIgnored() throws {
        #expect(try query(#"{"flow_runs":{"id":{"any_":[]}}}"#).filter.condition == .in(.runId, []))
        #expect(try query(#"{"flow_runs":{"id":{"not_any_":[]}}}"#).filter.condition == .always)
        #expect(try query(#"{"flow_runs":{"name":{"like_":""}}}"#).filter.condition == .always)
        #expect(try query(#"{"flow_runs":{"tags":{"all_":[]}}}"#).filter.condition == .always)
    }

    @Test func emptyCriterionInsideOrMatchesEverything() throws {
        #expect(try query(#"{"flow_runs":{"operator":"or_","name":{},"tags":{"all_":["prod"]}}}"#).filter.condition == .always)
        #expect(
            try query(#"{"flow_runs":{"operator":"and_","name":{},"tags":{"all_":["prod"]}}}"#).filter.condition
                == .tagsContainAll(.runTags, ["prod"])
        )
    }

    @Test func deprecatedConcurrencyLimitAddsNoConditionUnderEitherOperator() throws {
        let queue = Condition.in(.deploymentWorkQueueName, [.string("q")])
        for op in ["", #""operator":"and_","#, #""operator":"or_","#] {
            let body = #"{"deployments":{\#(op)"work_queue_name":{"any_":["q"]},"concurrency_limit":{"ge_":1,"le_":5,"is_null_":false}}}"#
            #expect(try query(body).filter.condition == .exists(.runDeployment, queue), "\(op)")
        }
        #expect(try query(#"{"deployments":{"operator":"or_","concurrency_limit":{"ge_":1}}}"#).filter.condition == .exists(.runDeployment, .always))
        #expect(issues(#"{"deployments":{"concurrency_limit":{"ge_":"many"}}}"#).map(\.type) == ["int_parsing"])
    }

    @Test func stateSubFiltersWithoutCriteriaDoNotDecideAnOr() throws {
        let completed = Condition.in(.runStateName, [.string("Completed")])
        for empty in ["{}", #"{"not_any_":[]}"#] {
            let body = #"{"flow_runs":{"state":{"operator":"or_","type":\#(empty),"name":{"any_":["Completed"]}}}}"#
            #expect(try query(body).filter.condition == completed)
        }
        #expect(try query(#"{"flow_runs":{"state":{"operator":"or_","type":{},"name":{}}}}"#).filter.condition == .always)
        let task = try query(#"{"task_runs":{"state":{"operator":"or_","type":{"any_":["FAILED"]},"name":{}}}}"#).filter.condition
        #expect(task == .exists(.runTaskRuns, .in(.taskStateType, [.string("FAILED")])))
        // Elsewhere an empty criterion is TRUE, and decides an OR, as in the reference.
        #expect(try query(#"{"flow_runs":{"operator":"or_","name":{},"id":{"any_":[]}}}"#).filter.condition == .always)
    }

    @Test func emptyStartswithIsLeftOutOfAndAndOr() throws {
        let none = Condition.in(.queueId, [])
        #expect(
            try query(#"{"work_pool_queues":{"operator":"or_","name":{"startswith_":[]},"id":{"any_":[]}}}"#).filter.condition
                == .exists(.runQueue, none)
        )
        #expect(try query(#"{"work_pool_queues":{"name":{"startswith_":[]},"id":{"any_":[]}}}"#).filter.condition == .exists(.runQueue, none))
        #expect(try query(#"{"work_pool_queues":{"name":{"startswith_":[]}}}"#).filter.condition == .exists(.runQueue, .always))
    }

    @Test func nullOperatorIsAnEnumError() throws {
        for body in [
            #"{"flow_runs":{"operator":null}}"#, #"{"flows":{"operator":null}}"#, #"{"flow_runs":{"tags":{"operator":null}}}"#,
            #"{"task_runs":{"flow_run_id":{"operator":null}}}"#, #"{"work_pool_queues":{"operator":null}}"#,
        ] {
            #expect(issues(body).map(\.type) == ["enum"], "\(body)")
        }
    }

    @Test func presentRelatedFiltersAreExistsEvenWhenEmpty() throws {
        #expect(try query(#"{"deployments":{}}"#).filter.condition == .exists(.runDeployment, .always))
        #expect(try query(#"{"task_runs":{}}"#).filter.condition == .exists(.runTaskRuns, .always))
        #expect(try query(#"{"task_runs":{"flow_run_id":{}}}"#).filter.condition == .exists(.runTaskRuns, .isNotNull(.taskFlowRunId)))
        #expect(try query(#"{"deployments":null,"flows":null}"#).filter.condition == .always)
    }

    @Test func startTimeComparesCoalesceButIsNullLooksAtStartTime() throws {
        let q = try query(#"{"flow_runs":{"start_time":{"before_":"2026-01-01","is_null_":true}}}"#)
        let t = Timestamp(iso8601: "2026-01-01")!
        #expect(q.filter.condition == .and([.lessOrEqual(.runStartOrExpected, .timestamp(t)), .isNull(.runStartTime)]))
    }

    @Test func taskRunFlowRunIdIsNullWinsOverAny() throws {
        let id = UUID()
        let q = try query(#"{"task_runs":{"flow_run_id":{"is_null_":true,"any_":["\#(id.uuidString)"]}}}"#)
        #expect(q.filter.condition == .exists(.runTaskRuns, .isNull(.taskFlowRunId)))
    }

    @Test func unknownKeysInsideFiltersAreRejected() {
        let found = issues(#"{"flow_runs":{"name":{"operator":"and_"}},"whatever":1}"#)
        #expect(found.map(\.type) == ["extra_forbidden"])
        #expect(found.first?.loc == [.key("body"), .key("flow_runs"), .key("name"), .key("operator")])
    }

    @Test func badValuesAreReportedWithLocations() {
        #expect(issues(#"{"sort":"name_asc"}"#).map(\.type) == ["enum"])
        #expect(issues(#"{"offset":-1}"#).map(\.type) == ["greater_than_equal"])
        #expect(issues(#"{"limit":5.5}"#).map(\.type) == ["int_from_float"])
        #expect(
            issues(#"{"flow_runs":{"id":{"any_":["nope"]}}}"#).first?.loc == [.key("body"), .key("flow_runs"), .key("id"), .key("any_"), .index(0)]
        )
        #expect(issues(#"{"flow_runs":{"tags":{"all_":[1]}}}"#).map(\.type) == ["string_type"])
        #expect(issues(#"{"flow_runs":{"state":{"type":{"any_":["DONE"]}}}}"#).map(\.type) == ["enum"])
        #expect(issues(#"[1]"#).map(\.type) == Array(repeating: "missing", count: 9))
    }

    @Test func laxCoercionsMatchPydantic() throws {
        #expect(try query(#"{"limit":"5"}"#).paging.limit == 5)
        #expect(try query(#"{"limit":true}"#).paging.limit == 1)
        #expect(try query(#"{"limit":null}"#).paging.limit == 200)
        #expect(try query(#"{"flow_runs":{"tags":{"is_null_":"yes"}}}"#).filter.condition == .tagsEmpty(.runTags))
    }

    @Test func limitOutOfRangeIsReportedWithTheReferenceMessage() {
        #expect(throws: InvalidQuery.self) { try query(#"{"limit":201}"#) }
        #expect(throws: InvalidQuery.self) { try query(#"{"limit":-1}"#) }
    }

    @Test func startswithEmptyListIsNoConstraint() throws {
        #expect(try query(#"{"work_pool_queues":{"name":{"startswith_":[]}}}"#).filter.condition == .exists(.runQueue, .always))
        #expect(
            try query(#"{"work_pool_queues":{"name":{"startswith_":["q"]}}}"#).filter.condition
                == .exists(.runQueue, .or([.startsWith(.queueName, "q")]))
        )
    }

    @Test func conjunctsAndWhatAPartTests() throws {
        let condition = try query(#"{"flow_runs":{"name":{"like_":"a"}},"task_runs":{"state":{"type":{"any_":["FAILED"]}}}}"#).filter.condition
        let parts = condition.conjuncts
        #expect(parts.count == 2)
        #expect(parts.filter { $0.testsOnly(through: .runTaskRuns) }.count == 1)
        #expect(parts.filter { !$0.testsOnly(through: .runTaskRuns) }.allSatisfy { !$0.involves(.runTaskRuns) })
        #expect(Condition.always.conjuncts.isEmpty)
        #expect(Condition.or([.exists(.runTaskRuns, .always), .isNull(.runStartTime)]).testsOnly(through: .runTaskRuns) == false)
        #expect(Condition.not(.exists(.runTaskRuns, .always)).testsOnly(through: .runTaskRuns))
        #expect(Condition.exists(.runFlow, .always).testsOnly(through: .runTaskRuns) == false)
    }
}
