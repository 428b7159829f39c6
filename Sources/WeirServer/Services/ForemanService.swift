import Foundation
import Logging
import ServiceLifecycle
import WeirStore

/// The reference's `Foreman` (`monitor_worker_health`): every loop, workers that stopped
/// heartbeating go OFFLINE, READY pools without an ONLINE worker and queues and deployments
/// nobody has polled within their timeouts become NOT_READY (with their events). One replica at a
/// time runs a pass (the store's advisory lock).
struct ForemanService: Service {
    let store: Store
    let settings: Settings
    let logger: Logger

    func run() async throws {
        let store = store
        let settings = settings
        let logger = logger
        await repeatUntilShutdown(every: settings.foremanLoopSeconds, logger: logger, what: "foreman pass") {
            guard
                let pass = try await store.services.foremanPass(
                    inactivityMultiple: settings.foremanInactivityHeartbeatMultiple,
                    fallbackInterval: settings.foremanFallbackHeartbeatIntervalSeconds,
                    deploymentTimeout: settings.foremanDeploymentLastPolledTimeoutSeconds,
                    queueTimeout: settings.foremanWorkQueueLastPolledTimeoutSeconds
                )
            else { return }
            if pass.workersOffline > 0 { logger.info("marked \(pass.workersOffline) workers offline") }
            let unready = pass.poolsNotReady + pass.deploymentsNotReady + pass.queuesNotReady
            if unready > 0 {
                logger.info(
                    "marked \(pass.poolsNotReady) work pools, \(pass.queuesNotReady) work queues and \(pass.deploymentsNotReady) deployments not ready"
                )
            }
        }
    }
}
