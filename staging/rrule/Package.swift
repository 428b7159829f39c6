// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "RRule",
    products: [
        .library(name: "RRule", targets: ["RRule"])
    ],
    targets: [
        .target(name: "RRule"),
        .testTarget(name: "RRuleTests", dependencies: ["RRule"], resources: [.copy("rrule.json")]),
    ]
)
