import Foundation
import Logging
import ServiceLifecycle

/// Runs `pass` now and then every `seconds` until graceful shutdown: the loop of the background
/// services. A failed pass is logged as a warning naming `what`, and the next one runs on time.
func repeatUntilShutdown(every seconds: Double, logger: Logger, what: String, _ pass: @escaping @Sendable () async throws -> Void) async {
    let interval = Duration.milliseconds(Int(seconds * 1000))
    await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
            do {
                try await pass()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("\(what) failed: \(String(reflecting: error))")
            }
            // Deliberate try?: the sleep ends early only when the service is cancelled, which the loop checks.
            try? await Task.sleep(for: interval)
        }
    }
}
