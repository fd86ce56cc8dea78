/// What `lmzoo serve` was asked for: where to listen, which models, and the protective limits.
public struct ServerConfig: Sendable {
    /// Address to bind (loopback by default).
    public var host = "127.0.0.1"
    /// TCP port; 0 picks a free one (the chosen port is printed once listening).
    public var port = 8080
    /// Catalog names or paths (CLI.md's MODEL), each loaded once.
    public var models: [String] = []
    /// Result cache capacity in bytes of response bodies (0 disables the cache).
    public var cacheBytes = 64 << 20
    /// Seconds a cached result stays valid.
    public var cacheTTL = 600.0
    /// Seconds between checks of the models' files for changes (nil: no watching).
    public var watchInterval: Double?
    /// The largest `max_tokens` a completion may ask for.
    public var maxTokensCap = 512
    /// Seconds a request may wait and run before it is answered 504.
    public var requestTimeout = 60.0
    /// Requests queued per model (running one included) before new ones are answered 429.
    public var queueDepth = 64
    /// Largest request body accepted (413 above it).
    public var maxBodyBytes = 1 << 20
    /// OpenBLAS (and compressed-weight kernel) threads per model call. 1 by default: each model already has a worker thread, and the
    /// HTTP threads and other models share the cores (measured: 2-3x the requests/s of 2 BLAS threads
    /// on 2 busy cores, scripts/bench_serve.py).
    public var blasThreads = 1

    public init() {}
}
