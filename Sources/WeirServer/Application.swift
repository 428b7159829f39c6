import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import ServiceLifecycle
import WeirStore

/// The request context every route gets.
public typealias WeirContext = BasicRequestContext

/// Builds the router: every resource's routes under `/api`, with error mapping (and auth when configured).
public func buildRouter(store: Store, settings: Settings) -> Router<WeirContext> {
    buildRouter(store: store, settings: settings, hub: EventHub())
}

/// The websocket router: the event streams.
func buildWebSocketRouter(store: Store, settings: Settings, hub: EventHub) -> Router<BasicWebSocketRequestContext> {
    let router = Router(context: BasicWebSocketRequestContext.self)
    EventController(store: store, hub: hub, settings: settings).addRoutes(to: router)
    return router
}

/// Builds the HTTP router with a given event hub.
func buildRouter(store: Store, settings: Settings, hub: EventHub) -> Router<WeirContext> {
    let router = Router(context: WeirContext.self)
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: ErrorMiddleware())
    if let auth = settings.authString { router.add(middleware: AuthMiddleware(auth: APIAuth(authString: auth))) }
    let api = router.group("api").add(middleware: APIVersionMiddleware())
    AdminController(store: store).addRoutes(to: api)
    FlowController(store: store, settings: settings).addRoutes(to: api)
    FlowRunController(store: store, settings: settings).addRoutes(to: api)
    TaskRunController(store: store, settings: settings).addRoutes(to: api)
    DeploymentController(store: store, settings: settings).addRoutes(to: api)
    WorkPoolController(store: store, settings: settings).addRoutes(to: api)
    WorkerController(store: store, settings: settings).addRoutes(to: api)
    LogController(store: store, settings: settings).addRoutes(to: api)
    ConcurrencyController(settings: settings).addRoutes(to: api)
    EventController(store: store, hub: hub, settings: settings).addRoutes(to: api)
    return router
}

/// Closes the store when the application shuts down.
struct StoreService: Service {
    let store: Store
    func run() async throws {
        // Deliberate try?: waiting for shutdown ends with cancellation, which is the point.
        try? await gracefulShutdown()
        await store.close()
    }
}

/// Opens the database and builds the application that `weir serve` runs.
public func buildApplication(settings: Settings, logger: Logger = Logger(label: "weir")) async throws -> some ApplicationProtocol {
    let store = try await Store.open(
        settings.database,
        poolSize: settings.databasePoolSize,
        poolTimeout: settings.databasePoolTimeout,
        logger: logger
    )
    let hub = EventHub()
    store.backend.setEventSink { events in await hub.publish(events) }
    let router = buildRouter(store: store, settings: settings, hub: hub)
    // A service group shuts services down in reverse order: the store closes last.
    var services: [any Service] = [StoreService(store: store)]
    if store.backend.dialect == .postgres { services.append(EventRelayService(store: store, hub: hub, logger: logger)) }
    if settings.lateRunsEnabled { services.append(LateRunsService(store: store, settings: settings, logger: logger)) }
    if settings.schedulerEnabled { services.append(SchedulerService(store: store, settings: settings, logger: logger)) }
    if settings.foremanEnabled { services.append(ForemanService(store: store, settings: settings, logger: logger)) }
    if settings.pauseExpirationsEnabled { services.append(PauseExpirationsService(store: store, settings: settings, logger: logger)) }
    if settings.cancellationCleanupEnabled { services.append(CancellationCleanupService(store: store, settings: settings, logger: logger)) }
    services.append(StatisticsService(store: store, settings: settings, logger: logger))
    return Application(
        router: router,
        // A websocket message is one frame from the Prefect client, so the frame limit is the message limit.
        server: .http1WebSocketUpgrade(
            webSocketRouter: buildWebSocketRouter(store: store, settings: settings, hub: hub),
            configuration: .init(ws: .init(maxFrameSize: settings.limits.maxWebSocketMessageBytes))
        ),
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "weir"),
        services: services,
        logger: logger
    )
}
