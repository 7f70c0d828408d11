// swift-tools-version:5.3
// The Swift half of tauri-plugin-biometric-key. The package and library are named after the
// Rust crate: tauri-plugin's build script links the static library of that name into the app.

import PackageDescription

let package = Package(
  name: "tauri-plugin-biometric-key",
  platforms: [
    // iOS 13: CryptoKit's SecureEnclave.isAvailable and LAContext.localizedReason.
    .macOS(.v10_15),
    .iOS(.v13),
  ],
  products: [
    .library(
      name: "tauri-plugin-biometric-key",
      type: .static,
      targets: ["tauri-plugin-biometric-key"])
  ],
  dependencies: [
    .package(name: "Tauri", path: "../.tauri/tauri-api")
  ],
  targets: [
    .target(
      name: "tauri-plugin-biometric-key",
      dependencies: [
        .byName(name: "Tauri")
      ],
      path: "Sources")
  ]
)
