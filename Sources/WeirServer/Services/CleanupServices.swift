import Foundation
import Logging
import ServiceLifecycle
import WeirStore

/// The reference's `FailExpiredPauses`: every loop, paused flow runs whose pause timed out are
/// failed. One replica at a time runs a pass.
struct PauseExpirationsService: Service {
    let store: Store
    let settings: Settings
    let logger: Logger

    func run() async throws {
        let store = store
        let logger = logger
        await repeatUntilShutdown(every: settings.pauseExpirationsLoopSeconds, logger: logger, what: "pause expirations pass") {
            if let n = try await store.services.failExpiredPauses(), n > 0 { logger.info("failed \(n) flow runs whose pause expired") }
        }
    }
}

/// The reference's `CancellationCleanup`: every loop, what cancelled flow runs left unfinished
/// (their task runs, their subflows) is cancelled, and runs stuck CANCELLING past the timeout
/// become CANCELLED. One replica at a time runs a pass.
struct CancellationCleanupService: Service {
    let store: Store
    let settings: Settings
    let logger: Logger

    func run() async throws {
        let store = store
        let logger = logger
        let timeout = settings.cancellingTimeoutSeconds
        await repeatUntilShutdown(every: settings.cancellationCleanupLoopSeconds, logger: logger, what: "cancellation cleanup pass") {
            guard let pass = try await store.services.cleanUpCancellations(cancellingTimeout: timeout) else { return }
            if pass.taskRunsCancelled + pass.subflowsCancelled + pass.timedOut > 0 {
                logger.info(
                    "cancelled \(pass.taskRunsCancelled) task runs and \(pass.subflowsCancelled) subflow runs of cancelled flow runs; \(pass.timedOut) runs timed out cancelling"
                )
            }
        }
    }
}
