import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import LMZoo

/// What every route shares: the models, the result cache, the metrics and the limits.
final class ServeState: Sendable {
    let config: ServerConfig
    let pool: ModelPool
    let cache: ResultCache
    let metrics = ServeMetrics()

    init(config: ServerConfig) throws {
        self.config = config
        BLAS.threadCount = config.blasThreads
        Kernels.threadCount = config.blasThreads
        pool = try ModelPool(sources: config.models, queueDepth: config.queueDepth)
        cache = ResultCache(capacity: config.cacheBytes, ttl: config.cacheTTL)
        for slot in pool.slots { metrics.loaded(model: slot.id, seconds: slot.current.loadSeconds) }
    }

    /// The version now serving the request's `model`.
    func model(_ body: RequestJSON) throws -> LoadedModel {
        try pool.slot(try body.requiredString("model")).current
    }

    /// Runs `job` on `loaded`'s worker within the request timeout (429 when its queue is full, 504 when late).
    func run<T: Sendable>(on loaded: LoadedModel, _ job: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await loaded.worker.run(timeout: config.requestTimeout,
                                               onFull: .queueFull(loaded.id, depth: loaded.worker.depth),
                                               onTimeout: .timedOut(config.requestTimeout), job)
        } catch let error as ServeError {
            if error.code == "queue_full" { metrics.queueFull(model: loaded.id) }
            throw error
        } catch {
            throw ServeError.modelRejected(error)
        }
    }

    /// Answers a JSON request computed by `compute` on the model's worker. A `cacheable` request
    /// (deterministic) is looked up first by model version + route + canonical request; its answer
    /// carries an `ETag`, and `If-None-Match` with that tag gets 304.
    func answer(_ request: Request, route: String, loaded: LoadedModel, body: RequestJSON, cacheable: Bool,
                _ compute: @escaping @Sendable () throws -> JSONValue) async throws -> Response {
        let useCache = cacheable && config.cacheBytes > 0
        let key = ResultCache.key(version: loaded.cacheVersion, route: route, request: body.value)
        if useCache, let entry = cache.lookup(key) {
            metrics.cache(hit: true, route: route, model: loaded.id)
            return respond(request, body: entry.body, etag: entry.etag, loaded: loaded, cache: "hit")
        }
        let json = try await run(on: loaded, compute)
        let bytes = Array(json.compactText.utf8)
        guard useCache else { return respond(request, body: bytes, etag: nil, loaded: loaded, cache: nil) }
        metrics.cache(hit: false, route: route, model: loaded.id)
        let entry = cache.store(key, version: loaded.cacheVersion, body: bytes)
        // A reload that swapped versions meanwhile has dropped the old version's entries: this one goes too.
        if (try? pool.slot(loaded.id).current) !== loaded { cache.drop(version: loaded.cacheVersion) }
        metrics.cacheBytes(cache.heldBytes)
        return respond(request, body: bytes, etag: entry.etag, loaded: loaded, cache: "miss")
    }

    /// A JSON response with the model's headers; 304 (no body) when `If-None-Match` names `etag`.
    func respond(_ request: Request, body: [UInt8], etag: String?, loaded: LoadedModel?, cache: String?) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let loaded {
            headers[ServeHeaders.model] = loaded.id
            headers[ServeHeaders.version] = loaded.version
        }
        if let cache { headers[ServeHeaders.cache] = cache }
        if let etag {
            headers[.eTag] = etag
            let asked = request.headers[values: .ifNoneMatch].flatMap { $0.split(separator: ",") }
                .map { $0.trimmingCharacters(in: .whitespaces) }
            if asked.contains(etag) || asked.contains("*") { return Response(status: .notModified, headers: headers) }
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// After a reload swapped `old` for `new`: the old version's cached results go, metrics and log say so.
    func swapped(old: LoadedModel, new: LoadedModel) {
        cache.drop(version: old.cacheVersion)
        metrics.cacheBytes(cache.heldBytes)
        metrics.loaded(model: new.id, seconds: new.loadSeconds)
        metrics.reload(model: new.id, result: "replaced")
        ServeLog.note("reloaded \(new.id): version \(old.version) -> \(new.version) (\(String(format: "%.3f", new.loadSeconds)) s)")
    }

    /// Reloads `slot` (`force`: re-hash even when the files' stamps are unchanged).
    func reload(_ slot: ModelSlot, force: Bool) async throws -> ModelSlot.Outcome {
        do {
            let outcome = try await slot.reload(force: force)
            switch outcome {
            case let .replaced(old, new): swapped(old: old, new: new)
            case .unchanged: if force { metrics.reload(model: slot.id, result: "unchanged") }
            }
            return outcome
        } catch {
            metrics.reload(model: slot.id, result: "failed")
            ServeLog.note("reloading \(slot.id) failed, still serving version \(slot.current.version): \(error)")
            throw ServeError(.internalServerError, type: "server_error", code: "reload_failed",
                             "reloading '\(slot.id)' failed; still serving version \(slot.current.version): \(error)")
        }
    }

    /// Checks every model's files each `interval` seconds and reloads those whose sha256 changed.
    func watch(every interval: Double) async {
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
            for slot in pool.slots where !Task.isCancelled { _ = try? await reload(slot, force: false) }
        }
    }
}

extension LoadedModel {
    /// The version as the cache keys it (model id and files' sha256).
    var cacheVersion: String { "\(id)@\(version)" }
}

/// The headers lmzoo adds to model answers.
enum ServeHeaders {
    static let model = HTTPField.Name("X-LMZoo-Model")!
    static let version = HTTPField.Name("X-LMZoo-Model-Version")!
    static let cache = HTTPField.Name("X-LMZoo-Cache")!
}

/// The server's own lines on stderr (`lmzoo: ...`), stdout being the HTTP library's log.
enum ServeLog {
    static func note(_ message: String) {
        FileHandle.standardError.write(Data("lmzoo: \(message)\n".utf8))
    }
}
