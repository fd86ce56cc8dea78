import COpenBLAS
import CKernels
import Foundation

/// Row-wise transformer math shared by inference and training (`x` is row-major `(rows, dim)`).
/// Elementwise exp / sigmoid / tanh / GELU / softmax run in CKernels' AVX2 + FMA kernels (activations.c,
/// their one home); reductions eight lanes at a time (``VectorMath``); matrix work is in ``Linear`` and
/// ``Attention``.
public enum Kernels {
    /// Threads the compressed matvec and other row-split kernels use (default: the CPUs, at most
    /// OpenBLAS's thread count). Set once, before models run.
    nonisolated(unsafe) public static var threadCount = max(1, min(ProcessInfo.processInfo.activeProcessorCount,
                                                                   BLAS.threadCount))

    /// Calls `body(start, end)` on disjoint chunks covering `0..<count`, on up to ``threadCount``
    /// threads; chunks are at least `minimumChunk` long.
    public static func parallelChunks(_ count: Int, minimumChunk: Int, _ body: (Int, Int) -> Void) {
        let chunks = min(threadCount, max(1, count / max(1, minimumChunk)))
        if chunks <= 1 {
            body(0, count)
            return
        }
        concurrentIterations(chunks) { chunk in body(count * chunk / chunks, count * (chunk + 1) / chunks) }
    }

    /// Calls `body(i)` for `i` in `0..<iterations` concurrently (one thread per iteration, at most the
    /// CPUs). The iterations must touch disjoint memory: callers hand in raw pointers.
    public static func concurrentIterations(_ iterations: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { escapable in
            nonisolated(unsafe) let work = escapable
            DispatchQueue.concurrentPerform(iterations: iterations) { work($0) }
        }
    }

    /// `(rows, dim) += (dim)` broadcast over rows.
    public static func addRowVector(_ vector: [Float], to x: UnsafeMutablePointer<Float>, rows: Int) {
        vector.withUnsafeBufferPointer { v in
            for r in 0..<rows { cblas_saxpy(Int32(v.count), 1, v.baseAddress!, 1, x + r * v.count, 1) }
        }
    }

    /// `y += x` over `count` values (residual connections).
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        cblas_saxpy(Int32(count), 1, x, 1, y, 1)
    }

    /// Layer normalisation over the last dimension (``LayerNormKernel``, no statistics saved):
    /// `(rows, dim) -> (rows, dim)`, `out = (x - mean) / sqrt(var + eps) * gamma + beta`. `out` may be `x`.
    public static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, dim: Int, gamma: [Float], beta: [Float],
                                 epsilon: Float, into out: UnsafeMutablePointer<Float>) {
        precondition(gamma.count == dim && beta.count == dim, "layer norm parameters must have \(dim) values")
        gamma.withUnsafeBufferPointer { g in
            beta.withUnsafeBufferPointer { b in
                LayerNormKernel.forward(out: out, inp: x, weight: g.baseAddress!, bias: b.baseAddress!, rows: rows, width: dim,
                                        epsilon: epsilon)
            }
        }
    }

    /// `y = exp(x)` over `count` values (CKernels' Cephes `expf`, AVX2 + FMA); `y` may be `x`.
    public static func exp(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        lmz_exp(x, y, count)
    }

    /// `y = 1 / (1 + exp(-x))` over `count` values (CKernels); `y` may be `x`.
    public static func sigmoid(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        lmz_sigmoid(x, y, count)
    }

    /// `y = tanh(x)` over `count` values (CKernels, `1 - 2 / (e^{2x} + 1)`, about 1e-7 absolute); `y` may be `x`.
    public static func tanh(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        lmz_tanh(x, y, count)
    }

    /// In place: GELU with the tanh approximation (`gelu_new`, GPT-2):
    /// `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
    public static func geluTanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        lmz_gelu_tanh(x, count)  // CKernels: AVX2 + FMA (a prefill's 128 x 3072 activations in ~0.4 ms)
    }

    /// In place: exact GELU (`torch.nn.functional.gelu`, BERT): `0.5 x (1 + erf(x / sqrt 2))`
    /// (erf to about 1.5e-7 absolute).
    public static func geluErf(_ x: UnsafeMutablePointer<Float>, count: Int) {
        lmz_gelu_erf(x, count)  // CKernels: AVX2 + FMA
    }

    /// In place: `softmax` of one row of `count` values (max-shifted).
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        lmz_softmax(x, count)  // CKernels: max-shifted exp, AVX2 + FMA
    }

    /// For each of `rows` rows `(rows, count)`: adds `bias` `(count)` when given (in place, while the
    /// row is in cache: a logits sgemm then needs no bias pass of its own), and writes the row's
    /// `log(sum(exp(row)))`, max-shifted, into `totals` (CKernels: AVX2 + FMA). Rows are split
    /// across ``threadCount`` threads.
    public static func logSumExpRows(_ x: UnsafeMutablePointer<Float>, rows: Int, count: Int, adding bias: UnsafePointer<Float>? = nil,
                                     into totals: UnsafeMutablePointer<Float>) {
        parallelChunks(rows, minimumChunk: max(1, (1 << 16) / max(1, count))) { first, end in
            for row in first..<end { totals[row] = lmz_add_log_sum_exp(x + row * count, bias, count) }
        }
    }

    /// In place: `log_softmax` of one row of `count` values.
    public static func logSoftmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        let shift = logSumExp(x, count: count)
        VectorMath.map(x, count: count) { $0 - shift }
    }

    /// `log(sum(exp(x)))` of `count > 0` values, max-shifted: the normaliser of every log-softmax and
    /// cross-entropy.
    public static func logSumExp(_ x: UnsafePointer<Float>, count: Int) -> Float {
        let top = VectorMath.maximum(x, count: count)
        return top + Foundation.log(VectorMath.sumOfExp(x, shift: top, count: count))
    }
}
