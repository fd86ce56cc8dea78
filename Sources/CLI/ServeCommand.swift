import ArgumentParser
import Dispatch
import Foundation
import LMZoo
import LMZooServe

/// `lmzoo serve [--host H] [--port P] --models NAME_OR_PATH ...`: the HTTP inference service
/// (OpenAI-compatible completions and embeddings, lmzoo's own routes, metrics, hot reloads).
struct ServeCommand: ParsableCommand, OptionChecking {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve models over HTTP (OpenAI-compatible completions and embeddings).",
        discussion: """
            Routes: GET /v1/models, POST /v1/completions, /v1/embeddings, /v1/predict, /v1/score, /v1/fill-mask, \
            /v1/tokenize, POST /v1/models/{id}/reload, GET /health, /metrics. Stops on SIGTERM or SIGINT.
            """)

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "TCP port (0: a free one; the port is printed on stderr once listening).") var port = 8080
    @Option(parsing: .upToNextOption, help: "Models to serve: catalog names or paths (CLI.md's MODEL).") var models: [String]
    @Option(name: .customLong("cache-bytes"), help: "Result cache size in bytes (0: no cache).") var cacheBytes = 64 << 20
    @Option(name: .customLong("cache-ttl"), help: "Seconds a cached result stays valid.") var cacheTTL = 600.0
    @Option(help: "Check the models' files every SECONDS and reload those whose sha256 changed.") var watch: Double?
    @Option(name: .customLong("max-tokens-cap"), help: "Largest max_tokens a completion may ask for.") var maxTokensCap = 512
    @Option(name: .customLong("request-timeout"), help: "Seconds a request may wait and run (504 after).") var requestTimeout = 60.0
    @Option(name: .customLong("queue-depth"), help: "Requests waiting or running per model before 429.") var queueDepth = 64
    @Option(name: .customLong("max-body-bytes"), help: "Largest request body (413 above).") var maxBodyBytes = 1 << 20
    @Option(name: .customLong("blas-threads"), help: "OpenBLAS threads per model call (each model has its own worker).") var blasThreads = 1

    func checkOptions() throws {
        guard !models.isEmpty else { throw ValidationError("give at least one model with --models") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard cacheBytes >= 0, cacheTTL > 0 else { throw ValidationError("--cache-bytes must not be negative and --cache-ttl must be positive") }
        guard watch.map({ $0 > 0 }) ?? true else { throw ValidationError("--watch must be positive") }
        guard maxTokensCap >= 0, requestTimeout > 0, queueDepth >= 1, maxBodyBytes >= 1, blasThreads >= 1 else {
            throw ValidationError("--max-tokens-cap, --request-timeout, --queue-depth, --max-body-bytes and --blas-threads must be positive")
        }
    }

    func run() throws {
        var config = ServerConfig()
        config.host = host
        config.port = port
        config.models = models
        config.cacheBytes = cacheBytes
        config.cacheTTL = cacheTTL
        config.watchInterval = watch
        config.maxTokensCap = maxTokensCap
        config.requestTimeout = requestTimeout
        config.queueDepth = queueDepth
        config.maxBodyBytes = maxBodyBytes
        config.blasThreads = blasThreads
        let server = try LMZooServer(config: config)
        let served = server.models.map { "\($0.id) (\($0.version))" }.joined(separator: ", ")
        let host = host
        try AsyncBridge.wait {
            try await server.run { port in
                Console.note("serving \(served) on http://\(host):\(port)")
            }
        }
    }
}

/// Runs async work to its end from the synchronous command (the root command is not async).
enum AsyncBridge {
    static func wait(_ work: @escaping @Sendable () async throws -> Void) throws {
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        Task.detached {
            do { try await work() } catch { failure.set(error) }
            done.signal()
        }
        done.wait()
        if let error = failure.error { throw error }
    }

    private final class FailureBox: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: (any Error)?
        var error: (any Error)? { lock.withLock { stored } }
        func set(_ error: any Error) { lock.withLock { stored = error } }
    }
}
