// swift-tools-version: 6.0
//
// lmzoo: a Swift model zoo and checkpoint converter for language models.
//
// Layout (see README.md):
//   Sources/CHDF5, COpenBLAS, CZip  system-library modules (pkg-config hdf5 / openblas / libzip)
//   Sources/LMZooCore               tensors, dtypes, JSON, atomic files, protocols, the registry
//   Sources/LMZooFormats            checkpoint containers (safetensors, ...)
//   Sources/LMZooTransformer        the one transformer engine (inference + training), driven by a description
//   Plugins/<Arch>                  the *architecture* plugins, one ordinary SwiftPM target each.
//                                   NB: these are not SwiftPM package plugins (build-tool/command).
//   Sources/LMZoo                   the umbrella library: re-exports everything, registers built-ins
//   Sources/CLI                     the command-line tool (the `lmzoo` executable target)
import PackageDescription

let architecturePlugins = ["NGram", "HMM", "LSTM", "GPT", "BERT"]

let package = Package(
    name: "lmzoo",
    products: [
        .executable(name: "lmzoo", targets: ["lmzoo"]),
        .library(name: "LMZoo", targets: ["LMZoo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `lmzoo serve` only (LMZooServe and the executable): the HTTP server and Prometheus metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CZip", path: "Sources/CZip", pkgConfig: "libzip",
            providers: [.apt(["libzip-dev"])]),

        // SIMD kernels for compressed weights (AVX2/FMA/F16C chosen per function at run time).
        .target(name: "CKernels", path: "Sources/CKernels"),
        .target(name: "LMZooCore", dependencies: ["COpenBLAS", "CKernels"]),
        .target(name: "LMZooFormats", dependencies: ["LMZooCore", "CHDF5", "CZip"]),
        // The transformer engine: a family description + weights by role -> inference and training.
        .target(name: "LMZooTransformer", dependencies: ["LMZooCore"]),
        // The training engine (gradients, optimizer, trainers, distillation); it knows no architecture:
        // each plugin brings its own recipe and student factory (ArchitectureDescriptor's hooks).
        .target(name: "LMZooTraining", dependencies: ["LMZooCore", "LMZooFormats", "LMZooTransformer", "COpenBLAS"]),
    ]
    + architecturePlugins.map { arch in
        // The n-gram plugin also links zlib (CZip) for `.arpa.gz`; the HMM plugin's Viterbi kernel is in CKernels.
        .target(name: "LMZoo\(arch)", dependencies: ["LMZooCore", "LMZooFormats", "LMZooTraining", "COpenBLAS"] + (arch == "NGram" ? ["CZip"] : [])
                    + (arch == "HMM" ? ["CKernels"] : [])
                    + (["GPT", "BERT"].contains(arch) ? ["LMZooTransformer"] : []),
                path: "Plugins/\(arch)")
    }
    + [
        .target(
            name: "LMZoo",
            dependencies: ["LMZooCore", "LMZooFormats", "LMZooTransformer", "LMZooTraining"] + architecturePlugins.map { .target(name: "LMZoo\($0)") }),
        // `lmzoo serve`: the HTTP inference service (model pool, result cache, routes, metrics).
        .target(
            name: "LMZooServe",
            dependencies: ["LMZoo", .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Prometheus", package: "swift-prometheus")]),
        // The `lmzoo` executable; its folder is Sources/CLI so that no two paths differ only by case
        // (Sources/LMZoo is the library): a clone on a case-insensitive disk stays whole.
        .executableTarget(
            name: "lmzoo",
            dependencies: ["LMZoo", "LMZooServe", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/CLI"),
        // Replay tool for fuzz inputs; the same sources are the libFuzzer target (scripts/fuzz.sh).
        .executableTarget(
            name: "lmzoo-fuzz",
            dependencies: ["LMZooFormats"] + architecturePlugins.map { .target(name: "LMZoo\($0)") }),

        // LayoutTests converts the built-ins' layouts, which their plugins register (LMZoo.registerBuiltins).
        .testTarget(name: "LMZooCoreTests", dependencies: ["LMZooCore", "LMZoo"]),
        // Fixtures live in Tests/Fixtures (made by the scripts beside them) and are found via #filePath.
        .target(name: "LMZooTestSupport", dependencies: ["LMZooFormats"], path: "Tests/LMZooTestSupport"),
        .testTarget(name: "LMZooFormatsTests", dependencies: ["LMZooFormats", "LMZoo", "LMZooTestSupport"]),
        .testTarget(name: "LMZooCLITests", dependencies: ["LMZoo", "lmzoo", "LMZooTestSupport"]),
        .testTarget(name: "LMZooServeTests", dependencies: ["LMZooServe", "LMZoo", "lmzoo", "LMZooTestSupport"]),
        .testTarget(name: "LMZooPluginTests", dependencies: ["LMZoo", "LMZooTestSupport"]),
        .testTarget(name: "LMZooFuzzTests", dependencies: ["lmzoo-fuzz", "LMZooTestSupport"]),
        .testTarget(name: "LMZooTrainingTests", dependencies: ["LMZooTraining", "LMZooTransformer", "LMZoo", "LMZooTestSupport"]
                    + architecturePlugins.map { .target(name: "LMZoo\($0)") }),
        // An architecture defined in a test target, registered through the public API only, taking part
        // in convert --layout, detection, GGUF export, model directories, train and distill.
        .testTarget(name: "LMZooOutOfTreeTests", dependencies: ["LMZoo", "LMZooTestSupport"]),
    ]
)
