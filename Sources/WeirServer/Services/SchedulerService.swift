import Foundation
import Logging
import ServiceLifecycle
import WeirModels
import WeirStore

/// The reference's `Scheduler` and `RecentDeploymentsScheduler`: every loop, each deployment that
/// is not paused and has a schedule needing runs gets the runs of its active schedules for the
/// scheduling window (`PREFECT_SERVER_SERVICES_SCHEDULER_*`); recently changed deployments are
/// looked at on a shorter loop. Each deployment is scheduled under the store's advisory lock, and
/// the runs' idempotency keys make a run once, whichever replica makes it.
struct SchedulerService: Service {
    let store: Store
    let settings: Settings
    let logger: Logger

    func run() async throws {
        let pass = { @Sendable (updatedWithin: Double?) async throws -> Int in
            var made = 0
            var last: UUID?
            while true {
                let since = updatedWithin.map { Timestamp.now().adding(seconds: -($0 + 1)) }
                let ids = try await store.services.deploymentsToSchedule(
                    after: last,
                    limit: settings.schedulerDeploymentBatchSize,
                    updatedSince: since
                )
                for id in ids { made += try await store.services.scheduleDeployment(id, settings.scheduleWindow) ?? 0 }
                guard ids.count == settings.schedulerDeploymentBatchSize, let next = ids.last else { return made }
                last = next
            }
        }
        let logger = logger
        let recentLoop = settings.schedulerRecentDeploymentsLoopSeconds
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await repeatUntilShutdown(every: settings.schedulerLoopSeconds, logger: logger, what: "scheduler pass") {
                    let n = try await pass(nil)
                    if n > 0 { logger.info("scheduled \(n) flow runs") }
                }
            }
            group.addTask {
                await repeatUntilShutdown(every: recentLoop, logger: logger, what: "recent deployments scheduler pass") {
                    let n = try await pass(recentLoop)
                    if n > 0 { logger.info("scheduled \(n) flow runs of recently changed deployments") }
                }
            }
        }
    }
}
