import CKernels

/// The fused kernels of one compressed weight encoding (CKernels, AVX2/FMA/F16C chosen at run time):
/// a matrix-vector product over the stored bytes and a row decoder to f32. ``Linear`` keeps f16,
/// bf16 and every block type that has them compressed in memory and runs them through these.
public struct WeightKernels: Sendable {
    /// `y[r] = dot(W[row0 + r, :], x)`:  W `(R, cols)` encoded, x `(cols)` -> y `(rows)`.
    public let matvec: lmz_matvec_fn
    /// Rows `row0 ..< row0 + rows` of W to f32:  `(rows, cols)` encoded -> `(rows, cols)`.
    public let decodeRows: lmz_decode_rows_fn

    public init(matvec: lmz_matvec_fn, decodeRows: lmz_decode_rows_fn) {
        self.matvec = matvec
        self.decodeRows = decodeRows
    }

    /// The kernels of `dtype`: f16 and bf16 here, block types from their ``BlockQuantization``
    /// entry; nil for f32 (OpenBLAS) and for types without fused kernels.
    public static func of(_ dtype: DType) -> WeightKernels? {
        switch dtype {
        case .f16: WeightKernels(matvec: lmz_matvec_f16, decodeRows: lmz_decode_rows_f16)
        case .bf16: WeightKernels(matvec: lmz_matvec_bf16, decodeRows: lmz_decode_rows_bf16)
        default: BlockQuantization.of(dtype)?.kernels
        }
    }

    /// Whether `(out, in)` rows of `in` values can be kept as `dtype` (block types need whole blocks).
    public static func canKeep(_ dtype: DType, inFeatures: Int) -> Bool {
        of(dtype) != nil && inFeatures % dtype.blockSize == 0
    }
}
