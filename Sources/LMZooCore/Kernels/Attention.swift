import COpenBLAS

/// Scaled dot-product multi-head attention over row-major activations, head `h` occupying columns
/// `h*headDim ..< (h+1)*headDim` of each row (HF's `split_heads` layout). Scores are materialised one
/// head at a time per thread, `(T, S)`, never `(heads, T, S)`; many query rows run heads in parallel on
/// ``Kernels/threadCount`` threads; one query row (decode) runs on `sgemv`.
public enum Attention {
    /// Which keys a query sees.
    public enum Mask: Equatable, Sendable {
        /// Every key (bidirectional; a key padding mask is expressed by passing only the valid keys,
        /// `keyCount` = the sequence's real length, which is exactly HF's additive `finfo.min` mask).
        case none
        /// Query `i` sees keys `0 ... offset + i` (decoder; `offset` = tokens already in the KV cache).
        case causal(offset: Int)
    }

    /// `softmax(Q Kᵀ / sqrt(headDim) + mask) V` for every head.
    ///
    /// - queries: `(T, ·)` rows of stride `queryStride`; keys, values: `(S, ·)` rows of stride `keyValueStride`;
    /// - keyValueHeads: grouped-query attention (`heads` a multiple of it): query head `h` reads key/value
    ///   head `h / (heads / keyValueHeads)`; nil means one key/value head per query head;
    /// - out: `(T, ·)` rows of stride `outStride`, heads concatenated;
    /// - scratch: at least ``scratchCount(queryCount:keyCount:)`` floats.
    public static func multiHead(queries: UnsafePointer<Float>, queryStride: Int, queryCount T: Int,
                                 keys: UnsafePointer<Float>, values: UnsafePointer<Float>, keyValueStride: Int,
                                 keyCount S: Int, heads: Int, keyValueHeads: Int? = nil, headDim: Int, mask: Mask,
                                 into out: UnsafeMutablePointer<Float>, outStride: Int,
                                 scratch: UnsafeMutablePointer<Float>) {
        guard T > 0, S > 0 else { return }
        let group = heads / (keyValueHeads ?? heads)
        let scale = 1 / Float(headDim).squareRoot()
        let offset: Int? = if case let .causal(offset) = mask { offset } else { nil }
        if T > 1, heads > 1, Kernels.threadCount > 1, T * S >= parallelMinimumScores {
            // Heads in parallel, each on one OpenBLAS thread (a 128 x 128 x 64 product is too small to
            // split well inside OpenBLAS), each chunk of heads with its own score buffer.
            let chunks = min(Kernels.threadCount, heads)
            let blasThreads = openblas_get_num_threads()
            openblas_set_num_threads(1)
            defer { openblas_set_num_threads(blasThreads) }
            let buffers = UnsafeMutablePointer<Float>.allocate(capacity: chunks * T * S)
            defer { buffers.deallocate() }
            Kernels.concurrentIterations(chunks) { chunk in
                for h in heads * chunk / chunks ..< heads * (chunk + 1) / chunks {
                    let kv = h / group * headDim
                    head(queries: queries + h * headDim, queryStride: queryStride, queryCount: T, keys: keys + kv, values: values + kv,
                         keyValueStride: keyValueStride, keyCount: S, headDim: headDim, scale: scale, offset: offset,
                         into: out + h * headDim, outStride: outStride, scores: buffers + chunk * T * S)
                }
            }
            return
        }
        for h in 0..<heads {
            if T == 1 {
                let q = queries + h * headDim, k = keys + h / group * headDim, v = values + h / group * headDim, o = out + h * headDim
                let visible = offset.map { min(S, $0 + 1) } ?? S
                // (visible, hd) · (hd) -> (visible) scores; softmax; (visible, hd)ᵀ · (visible) -> (hd)
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(visible), Int32(headDim), scale, k, Int32(keyValueStride),
                            q, 1, 0, scratch, 1)
                Kernels.softmax(scratch, count: visible)
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(visible), Int32(headDim), 1, v, Int32(keyValueStride),
                            scratch, 1, 0, o, 1)
                continue
            }
            let kv = h / group * headDim
            head(queries: queries + h * headDim, queryStride: queryStride, queryCount: T, keys: keys + kv, values: values + kv,
                 keyValueStride: keyValueStride, keyCount: S, headDim: headDim, scale: scale, offset: offset,
                 into: out + h * headDim, outStride: outStride, scores: scratch)
        }
    }

    /// Score count (T x S) from which heads run in parallel.
    static let parallelMinimumScores = 4096

    /// One head for T queries (pointers at the head's first column): scores `(T, S)` by sgemm, row
    /// softmax under the mask, times V. `scores` keeps the probabilities (zero where masked): the
    /// training forward saves them for ``AttentionKernel/backward(dqkv:dout:qkv:att:batch:steps:channels:heads:keyValueHeads:)``.
    static func head(queries q: UnsafePointer<Float>, queryStride: Int, queryCount T: Int,
                     keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>, keyValueStride: Int,
                     keyCount S: Int, headDim: Int, scale: Float, offset: Int?,
                     into o: UnsafeMutablePointer<Float>, outStride: Int, scores: UnsafeMutablePointer<Float>) {
        // (T, hd) x (hd, S) -> (T, S) scores
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(T), Int32(S), Int32(headDim), scale,
                    q, Int32(queryStride), k, Int32(keyValueStride), 0, scores, Int32(S))
        for i in 0..<T {
            let row = scores + i * S
            let visible = offset.map { min(S, $0 + i + 1) } ?? S
            Kernels.softmax(row, count: visible)
            if visible < S { (row + visible).update(repeating: 0, count: S - visible) }
        }
        // (T, S) x (S, hd) -> (T, hd)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(T), Int32(headDim), Int32(S), 1,
                    scores, Int32(S), v, Int32(keyValueStride), 0, o, Int32(outStride))
    }

    /// Floats of scratch ``multiHead(queries:queryStride:queryCount:keys:values:keyValueStride:keyCount:heads:headDim:mask:into:outStride:scratch:)`` needs.
    public static func scratchCount(queryCount: Int, keyCount: Int) -> Int { max(1, queryCount * keyCount) }
}

/// Keys and values of past positions, per layer: `(capacity, width)` f32 each, rows `0..<count` valid.
public final class KVCache {
    /// Layers.
    public let layers: Int
    /// Most positions the cache holds.
    public let capacity: Int
    /// Values per row (`heads * headDim`).
    public let width: Int
    /// Positions stored so far.
    public private(set) var count = 0
    private let storage: UnsafeMutablePointer<Float>

    /// An empty cache.
    public init(layers: Int, capacity: Int, width: Int) {
        self.layers = layers
        self.capacity = capacity
        self.width = width
        storage = .allocate(capacity: max(1, 2 * layers * capacity * width))
    }

    deinit { storage.deallocate() }

    /// Layer `layer`'s keys `(capacity, width)`.
    public func keys(layer: Int) -> UnsafeMutablePointer<Float> { storage + (2 * layer) * capacity * width }
    /// Layer `layer`'s values `(capacity, width)`.
    public func values(layer: Int) -> UnsafeMutablePointer<Float> { storage + (2 * layer + 1) * capacity * width }

    /// Copies `rows` key and value rows (source stride `stride`) to positions `count ..< count + rows`
    /// of `layer` (``advance(by:)`` moves `count` once every layer has stored).
    public func store(layer: Int, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>, rows: Int, stride: Int) {
        precondition(count + rows <= capacity, "KV cache overflow")
        let (kd, vd) = (keys(layer: layer) + count * width, values(layer: layer) + count * width)
        for r in 0..<rows {
            (kd + r * width).update(from: k + r * stride, count: width)
            (vd + r * width).update(from: v + r * stride, count: width)
        }
    }

    /// Marks `rows` more positions stored.
    public func advance(by rows: Int) { count += rows }

    /// Forgets every position.
    public func reset() { count = 0 }
}
