import ArgumentParser
import Foundation
import Hummingbird
import Logging
import WeirModels
import WeirServer
import WeirStore

/// The `weir` command.
@main
struct Weir: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A Prefect-compatible orchestration API server.",
        subcommands: [Serve.self, Migrate.self, Import.self, Explain.self, QueryTime.self],
        defaultSubcommand: Serve.self
    )
}

/// Options shared by the subcommands that open the database.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Database URL or SQLite path (default: PREFECT_SERVER_DATABASE_CONNECTION_URL, else $WEIR_HOME/weir.db).")
    var databaseURL: String?

    /// The environment's settings with the command-line override applied.
    func settings() throws -> Settings {
        var s = try Settings.fromEnvironment()
        // An empty value counts as not given, as for the settings.
        if let url = databaseURL, !url.isEmpty { s.database = try DatabaseLocation.parse(url) }
        return s
    }
}

/// `weir serve`: runs the API server until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the API server.")

    @Option(help: "Address to listen on (default: PREFECT_SERVER_API_HOST or 127.0.0.1).")
    var host: String?
    @Option(help: "Port to listen on (default: PREFECT_SERVER_API_PORT or 4200).")
    var port: Int?
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port should be between 0 and 65535") }
    }

    func run() async throws {
        var settings = try database.settings()
        if let host, !host.isEmpty { settings.host = host }
        if let port { settings.port = port }
        var logger = Logger(label: "weir")
        logger.logLevel = settings.logLevel
        logger.info("database \(settings.database)")
        let app = try await buildApplication(settings: settings, logger: logger)
        try await app.runService()
    }
}

/// `weir migrate`: creates or upgrades the database schema and exits.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database schema.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let settings = try database.settings()
        let store = try await Store.open(settings.database, poolSize: 1)
        await store.close()
        print("database \(settings.database) is up to date")
    }
}

/// `weir explain`: the database's plan for a Read Flow Runs body, to check that an index serves it.
struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the query plan of a Read Flow Runs body (POST /flow_runs/filter).")
    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Run the query and show actual times (PostgreSQL's EXPLAIN ANALYZE).")
    var analyze = false
    @Argument(help: "The request body, as JSON.")
    var body: String = "{}"

    func run() async throws {
        let settings = try database.settings()
        let query = try ReadFlowRunsQuery.read(try JSONParser.parse(body), defaultLimit: settings.defaultLimit)
        let store = try await Store.open(settings.database, poolSize: 1)
        do {
            if let probe = try await store.flowRuns.explainProbe(query) {
                print("-- first, the page among the first runs in order (the answer when they hold a full page):")
                for line in probe { print(line) }
                print("-- otherwise, the whole query:")
            }
            for line in try await store.flowRuns.explain(query, analyze: analyze) { print(line) }
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}
