import COpenBLAS

/// Row-major `C = alpha * op(A) op(B) + beta * C` through `cblas_sgemm`, the matrix product of the
/// training kernels (``LinearKernel``, ``AttentionKernel``'s backward, the LSTM's). `op(A)` is `(m, k)`, `op(B)` is `(k, n)`, `C` is `(m, n)`.
public enum GEMM {
    @inline(__always)
    public static func multiply(_ a: UnsafePointer<Float>, transposeA: Bool = false, lda: Int,
                         _ b: UnsafePointer<Float>, transposeB: Bool = false, ldb: Int,
                         into c: UnsafeMutablePointer<Float>, ldc: Int,
                         m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
