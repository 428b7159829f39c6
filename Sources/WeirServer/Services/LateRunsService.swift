import Foundation
import Logging
import ServiceLifecycle
import WeirModels
import WeirStore

/// `MarkLateRuns`: every loop, flow runs still `Scheduled` well past their start time become
/// `Late`. With several replicas on one PostgreSQL database each pass runs in one replica at a time
/// (the store's advisory lock), so a run is marked once, and the others carry on if one stops.
struct LateRunsService: Service {
    let store: Store
    let settings: Settings
    let logger: Logger

    func run() async throws {
        let store = store
        let logger = logger
        let after = settings.lateRunsAfterSeconds
        await repeatUntilShutdown(every: settings.lateRunsLoopSeconds, logger: logger, what: "late runs pass") {
            if case .marked(let n) = try await store.services.markLateRuns(afterSeconds: after), n > 0 {
                logger.info("marked \(n) flow runs late")
            }
        }
    }
}
