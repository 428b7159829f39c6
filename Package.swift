// swift-tools-version:6.0
import PackageDescription

/// Weir: a Prefect-compatible orchestration API server.
let package = Package(
    name: "weir",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "weir", targets: ["weir"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .target(name: "WeirModels"),
        .target(name: "WeirOrchestration", dependencies: ["WeirModels"]),
        .target(
            name: "WeirStore",
            dependencies: [
                "WeirModels", "WeirOrchestration",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(
            name: "WeirServer",
            dependencies: [
                "WeirModels", "WeirOrchestration", "WeirStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ]
        ),
        .executableTarget(
            name: "weir",
            dependencies: [
                "WeirServer", "WeirStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // lld with packed relative relocations: the position-independent binary's 3 MiB table of
            // relocations shrinks to 27 KiB, which every start reads (resident memory). And no export of
            // every symbol, which `--static-swift-stdlib` asks for (its static-stdlib-args.lnk says
            // `-export-dynamic`): the dynamic symbol table was 4 MiB, mostly resident after the dynamic
            // linker's lookups, and kept every exported function from `--gc-sections` (idle RSS 30.5 ->
            // 28.0 MiB).
            linkerSettings: [
                .unsafeFlags(
                    [
                        "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                        "-Xlinker", "--no-export-dynamic",
                    ],
                    .when(platforms: [.linux])
                )
            ]
        ),
        .testTarget(name: "WeirModelsTests", dependencies: ["WeirModels"], resources: [.copy("Schedules")]),
        .testTarget(name: "WeirOrchestrationTests", dependencies: ["WeirOrchestration"]),
        .target(name: "WeirTestSupport", dependencies: ["WeirStore"], path: "Tests/WeirTestSupport"),
        .testTarget(name: "WeirStoreTests", dependencies: ["WeirStore", "WeirTestSupport"]),
        .testTarget(
            name: "WeirServerTests",
            dependencies: [
                "WeirServer", "WeirModels", "WeirStore", "WeirTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ]
)
