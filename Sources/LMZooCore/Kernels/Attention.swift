import COpenBLAS

/// Scaled dot-product multi-head attention over row-major activations, head `h` occupying columns
/// `h*headDim ..< (h+1)*headDim` of each row (HF's `split_heads` layout). Scores are materialised one
/// head at a time, `(T, S)`, never `(heads, T, S)`; one query row (decode) runs on `sgemv`.
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
    /// - out: `(T, ·)` rows of stride `outStride`, heads concatenated;
    /// - scratch: at least ``scratchCount(queryCount:keyCount:)`` floats.
    public static func multiHead(queries: UnsafePointer<Float>, queryStride: Int, queryCount T: Int,
                                 keys: UnsafePointer<Float>, values: UnsafePointer<Float>, keyValueStride: Int,
                                 keyCount S: Int, heads: Int, headDim: Int, mask: Mask,
                                 into out: UnsafeMutablePointer<Float>, outStride: Int,
                                 scratch: UnsafeMutablePointer<Float>) {
        guard T > 0, S > 0 else { return }
        let scale = 1 / Float(headDim).squareRoot()
        let offset: Int? = if case let .causal(offset) = mask { offset } else { nil }
        for h in 0..<heads {
            let q = queries + h * headDim, k = keys + h * headDim, v = values + h * headDim, o = out + h * headDim
            if T == 1 {
                let visible = offset.map { min(S, $0 + 1) } ?? S
                // (visible, hd) · (hd) -> (visible) scores; softmax; (visible, hd)ᵀ · (visible) -> (hd)
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(visible), Int32(headDim), scale, k, Int32(keyValueStride),
                            q, 1, 0, scratch, 1)
                Kernels.softmax(scratch, count: visible)
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(visible), Int32(headDim), 1, v, Int32(keyValueStride),
                            scratch, 1, 0, o, 1)
                continue
            }
            // (T, hd) x (hd, S) -> (T, S) scores
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(T), Int32(S), Int32(headDim), scale,
                        q, Int32(queryStride), k, Int32(keyValueStride), 0, scratch, Int32(S))
            for i in 0..<T {
                let row = scratch + i * S
                let visible = offset.map { min(S, $0 + i + 1) } ?? S
                Kernels.softmax(row, count: visible)
                if visible < S { (row + visible).update(repeating: 0, count: S - visible) }
            }
            // (T, S) x (S, hd) -> (T, hd)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(T), Int32(headDim), Int32(S), 1,
                        scratch, Int32(S), v, Int32(keyValueStride), 0, o, Int32(outStride))
        }
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
