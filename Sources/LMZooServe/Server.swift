import Foundation
import Hummingbird
import LMZoo
import NIOCore

/// `lmzoo serve`: an HTTP inference service for zoo models (OpenAI-compatible completions and
/// embeddings, lmzoo's own predict/score/fill-mask/tokenize, health, Prometheus metrics), with a result
/// cache and hot model reloads. Stops gracefully on SIGTERM or SIGINT.
public struct LMZooServer: Sendable {
    private let state: ServeState

    /// Loads every model in `config.models` (each once); throws on a model that does not load.
    public init(config: ServerConfig) throws {
        state = try ServeState(config: config)
    }

    /// The served models' ids and versions, in the order given.
    public var models: [(id: String, version: String)] { state.pool.slots.map { ($0.id, $0.current.version) } }

    /// Serves until SIGTERM/SIGINT; `onListening` gets the bound port (the one chosen when `port` is 0).
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorAndMetricsMiddleware(metrics: state.metrics))
        AdminRoutes(state: state).add(to: router)
        CompletionRoutes(state: state).add(to: router)
        EmbeddingRoutes(state: state).add(to: router)
        ModelRoutes(state: state).add(to: router)
        let config = state.config
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "lmzoo"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? config.port) })
        let watcher = config.watchInterval.map { interval in Task { [state] in await state.watch(every: interval) } }
        defer {
            watcher?.cancel()
            ModelWorker.drainAll()
        }
        do {
            try await app.runService()
        } catch let error as IOError {
            // The listening socket failed (bind: port in use, no permission, no such address).
            throw ListenError(host: config.host, port: config.port, errno: error.errnoCode)
        }
    }
}

/// The server cannot listen on its address: `cannot listen on 127.0.0.1:8080: address already in use`.
public struct ListenError: Error, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int
    /// The failed system call's errno.
    public let errno: Int32

    public var description: String {
        let reason = String(cString: strerror(errno))
        return "cannot listen on \(host):\(port): \(reason.prefix(1).lowercased() + reason.dropFirst())"
    }
}

/// Turns every error into OpenAI's JSON error body with its status, and counts and times each
/// request by route and model (the `X-LMZoo-Model` header the model routes set).
struct ErrorAndMetricsMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServeMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let serveError = ServeError.from(error)
            response = Response(status: serveError.status, headers: [.contentType: "application/json"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: serveError.json.compactText)))
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.request(route: context.endpointPath ?? "unmatched", model: response.headers[ServeHeaders.model] ?? "-",
                        status: Int(response.status.code), seconds: seconds)
        return response
    }
}
