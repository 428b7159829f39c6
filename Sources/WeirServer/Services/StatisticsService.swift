import Foundation
import Logging
import ServiceLifecycle
import WeirStore

/// Keeps the query planner's statistics current while the server runs: on SQLite a database that
/// starts empty and grows through the API would otherwise be planned as empty until a restart
/// (issue 12 measured a Read Flow Runs body 7.6x slower at 20,000 runs for that reason); on
/// PostgreSQL autovacuum leaves small tables unmeasured (see the backends' `refreshStatistics`).
struct StatisticsService: Service {
    let store: Store
    let settings: Settings
    let logger: Logger

    func run() async throws {
        let store = store
        let logger = logger
        await repeatUntilShutdown(every: settings.statisticsLoopSeconds, logger: logger, what: "statistics refresh") {
            let measured = try await store.refreshStatistics()
            if !measured.isEmpty { logger.info("refreshed the query planner's statistics: \(measured.joined(separator: ", "))") }
        }
    }
}
