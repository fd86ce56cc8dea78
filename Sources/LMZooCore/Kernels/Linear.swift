import COpenBLAS
import CKernels
import Foundation

/// A dense layer `y = x Wᵀ + b` whose weight stays in the precision it was given: f32 through OpenBLAS,
/// or f16 / bf16 / a llama.cpp block type (Q8_0, Q4_0: every ``BlockQuantization`` entry with kernels)
/// kept compressed in memory and widened on the fly in the matmul (decode is memory-bound, so fewer
/// bytes read is faster). Used by the GPT and BERT plugins.
///
/// - one row (decode): a matrix-vector product over the stored bytes (`cblas_sgemv` for f32, the
///   type's ``WeightKernels`` otherwise), split across ``Kernels/threadCount`` threads;
/// - many rows (prefill, batches): `cblas_sgemm`; compressed weights are decoded a tile of output rows
///   at a time into a scratch buffer, so no full f32 copy ever exists.
public final class Linear: @unchecked Sendable {
    /// How the stored weight is kept.
    public enum Storage: Equatable, Sendable {
        /// f32 `(out, in)`, `nn.Linear`'s orientation.
        case f32OutputMajor
        /// f32 `(in, out)`, GPT-2's `Conv1D` orientation (used zero-copy, e.g. from a mapped file).
        case f32InputMajor
        /// f16 / bf16 / block-quantised `(out, in)` rows, decoded on the fly by ``WeightKernels/of(_:)``.
        case compressed(DType)
    }

    /// Input width (`in`).
    public let inFeatures: Int
    /// Output width (`out`).
    public let outFeatures: Int
    /// The stored form of the weight.
    public let storage: Storage
    /// The weight tensor as stored (keeps mapped bytes alive).
    public let weight: Tensor
    /// Bias `(out)`, if any.
    public let bias: [Float]?
    /// The kernels of a `.compressed` weight.
    private let kernels: WeightKernels?

    /// Builds a layer from `weight`, `(out, in)` when `inputMajor` is false (PyTorch `nn.Linear`,
    /// GGUF) or `(in, out)` when true (GPT-2 `Conv1D`), converting to `precision` when given
    /// (nil keeps f32, f16, bf16 and block types with kernels as they are and widens anything else to
    /// f32; a block type the weight is not in is kept only when it has a quantiser). `name` is used
    /// in error messages.
    public init(name: String, weight source: Tensor, bias biasTensor: Tensor?, inputMajor: Bool = false,
                precision: DType? = nil) throws {
        guard source.shape.count == 2 else {
            throw KernelError.badShape(name: name, shape: source.shape, expected: "2-d weight")
        }
        let (inF, outF) = inputMajor ? (source.shape[0], source.shape[1]) : (source.shape[1], source.shape[0])
        inFeatures = inF
        outFeatures = outF
        let wanted = precision ?? source.dtype
        let convertible = wanted == source.dtype || !wanted.isBlockQuantized || BlockQuantization.of(wanted)?.quantize != nil
        let kept = convertible && WeightKernels.canKeep(wanted, inFeatures: inF) ? wanted : .f32
        kernels = WeightKernels.of(kept)
        if kept == .f32 {
            let wide = try source.dtype == .f32 ? source : source.converted(to: .f32)
            weight = wide
            storage = inputMajor ? .f32InputMajor : .f32OutputMajor
        } else {
            // Compressed rows must be output rows: transpose Conv1D weights once (via f32).
            var rows = source
            if inputMajor { rows = try Linear.transposed(source, rows: inF, cols: outF) }
            weight = try rows.dtype == kept ? rows : rows.converted(to: kept)
            storage = .compressed(kept)
        }
        if let biasTensor {
            guard biasTensor.elementCount == outF else {
                throw KernelError.badShape(name: name + " bias", shape: biasTensor.shape, expected: "[\(outF)]")
            }
            bias = biasTensor.floats()
        } else {
            bias = nil
        }
    }

    /// Bytes of the stored weight.
    public var weightByteCount: Int { weight.byteCount }

    /// `(rows, in) -> (rows, out)`: `y = x Wᵀ + b`. `x` and `y` must not overlap.
    public func apply(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        weight.withUnsafeBytes { raw in
            let w = raw.baseAddress!
            switch storage {
            case .f32OutputMajor, .f32InputMajor:
                let wf = w.assumingMemoryBound(to: Float.self)
                let inputMajor = storage == .f32InputMajor
                if rows == 1 {
                    // (out, in) · (in) -> (out). Memory-bound: one OpenBLAS thread reads as fast as two
                    // and skips the threads' hand-off (measured: 33 vs 45 ms per GPT-2 124M token).
                    let threads = openblas_get_num_threads()
                    openblas_set_num_threads(1)
                    defer { openblas_set_num_threads(threads) }
                    cblas_sgemv(CblasRowMajor, inputMajor ? CblasTrans : CblasNoTrans,
                                Int32(inputMajor ? inFeatures : outFeatures), Int32(inputMajor ? outFeatures : inFeatures),
                                1, wf, Int32(inputMajor ? outFeatures : inFeatures), x, 1, 0, y, 1)
                } else {
                    // (rows, in) x (in, out) -> (rows, out)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, inputMajor ? CblasNoTrans : CblasTrans,
                                Int32(rows), Int32(outFeatures), Int32(inFeatures), 1, x, Int32(inFeatures),
                                wf, Int32(inputMajor ? outFeatures : inFeatures), 0, y, Int32(outFeatures))
                }
            case .compressed:
                let kernels = kernels!
                if rows <= 2 {
                    for r in 0..<rows { matvec(kernels, w, x + r * inFeatures, y + r * outFeatures) }
                } else {
                    tiledProduct(kernels, w, x, rows: rows, y)
                }
            }
        }
        if let bias { Kernels.addRowVector(bias, to: y, rows: rows) }
    }

    /// Row `index` of the weight seen as `(out, in)`, widened to f32 into `out` `(in)`: an embedding
    /// lookup when the layer is a tied embedding / LM head.
    public func copyRow(_ index: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(index >= 0 && index < outFeatures, "row \(index) outside 0..<\(outFeatures)")
        weight.withUnsafeBytes { raw in
            let w = raw.baseAddress!
            switch storage {
            case .f32OutputMajor:
                out.update(from: w.assumingMemoryBound(to: Float.self) + index * inFeatures, count: inFeatures)
            case .f32InputMajor:
                cblas_scopy(Int32(inFeatures), w.assumingMemoryBound(to: Float.self) + index, Int32(outFeatures), out, 1)
            case .compressed:
                kernels!.decodeRows(w, index, 1, inFeatures, out)
            }
        }
    }

    /// One input row through the compressed kernel, output rows split across threads.
    private func matvec(_ kernels: WeightKernels, _ w: UnsafeRawPointer, _ x: UnsafePointer<Float>,
                        _ y: UnsafeMutablePointer<Float>) {
        let (inF, outF) = (inFeatures, outFeatures)
        Kernels.parallelChunks(outF, minimumChunk: 64) { start, end in
            kernels.matvec(w, start, end - start, inF, x, y + start)
        }
    }

    /// Many rows: decode a tile of output rows to f32, then `(rows, in) x (in, tile) -> (rows, tile)`.
    private func tiledProduct(_ kernels: WeightKernels, _ w: UnsafeRawPointer, _ x: UnsafePointer<Float>, rows: Int,
                              _ y: UnsafeMutablePointer<Float>) {
        let tile = min(outFeatures, max(32, (1 << 18) / inFeatures))
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: tile * inFeatures)
        defer { scratch.deallocate() }
        var start = 0
        while start < outFeatures {
            let count = min(tile, outFeatures - start)
            let (first, inF) = (start, inFeatures)
            Kernels.parallelChunks(count, minimumChunk: 16) { a, b in
                kernels.decodeRows(w, first + a, b - a, inF, scratch + a * inF)
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(count), Int32(inFeatures), 1,
                        x, Int32(inFeatures), scratch, Int32(inFeatures), 0, y + start, Int32(outFeatures))
            start += count
        }
    }

    /// `(rows, cols) -> (cols, rows)` as an owned f32 tensor.
    private static func transposed(_ tensor: Tensor, rows: Int, cols: Int) throws -> Tensor {
        let values = tensor.floats()
        var out = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows { cblas_scopy(Int32(cols), src.baseAddress! + r * cols, 1, dst.baseAddress! + r, Int32(rows)) }
            }
        }
        return try Tensor(shape: [cols, rows], floats: out)
    }
}

/// Errors building kernels' weights.
public enum KernelError: Error, Equatable, CustomStringConvertible {
    /// A tensor with a shape the layer cannot use.
    case badShape(name: String, shape: [Int], expected: String)

    public var description: String {
        switch self {
        case let .badShape(name, shape, expected): "tensor '\(name)' has shape \(Shape.describe(shape)), expected \(expected)"
        }
    }
}
