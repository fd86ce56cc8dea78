import CKernels

/// llama.cpp's block-quantised tensor types, one entry each: what ggml's `type_traits` and gguf-py's
/// `GGML_QUANT_SIZES` say of a type (its GGUF id, values and bytes per block, llama.cpp's file type),
/// the functions that decode and encode its blocks (``GGMLBlocks``) and its fused matvec / row
/// decoder (``WeightKernels``, in CKernels). ``DType``'s sizes, ``DTypeConversion``, the GGUF type
/// ids and file type, the GGUF writer's quantisation, `convert --dtype` and ``Linear`` read this
/// table; adding a type is a ``DType`` case, an entry here and its kernels.
public struct BlockQuantization: Sendable {
    /// Dequantises blocks `firstBlock ..< firstBlock + blocks` of `source` into `blocks * valuesPerBlock` floats.
    public typealias Dequantize = @Sendable (_ source: UnsafeRawPointer, _ firstBlock: Int, _ blocks: Int,
                                             _ out: UnsafeMutablePointer<Float>) -> Void
    /// Quantises `blocks * valuesPerBlock` floats into blocks `firstBlock ..< firstBlock + blocks` of `destination`.
    public typealias Quantize = @Sendable (_ values: UnsafePointer<Float>, _ blocks: Int, _ destination: UnsafeMutableRawPointer,
                                           _ firstBlock: Int) -> Void

    public let dtype: DType
    /// The GGUF / ggml tensor type id (`ggml_type`).
    public let ggmlType: UInt32
    /// llama.cpp's `general.file_type` (`llama_ftype`, `LLAMA_FTYPE_MOSTLY_*`) of a file mostly in this type.
    public let fileType: UInt32
    public let valuesPerBlock: Int
    public let bytesPerBlock: Int
    public let dequantize: Dequantize
    /// nil: lmzoo reads the type but does not write it (its tensors are kept as they are).
    public let quantize: Quantize?
    /// The fused matrix-vector product and row decoder ``Linear`` runs compressed weights of this
    /// type through; nil: ``Linear`` widens the weight to f32.
    public let kernels: WeightKernels?

    /// Every block-quantised type lmzoo knows (this order is their ``DType/safetensorsRank`` order).
    public static let all: [BlockQuantization] = [
        BlockQuantization(dtype: .q8_0, ggmlType: 8, fileType: 7, valuesPerBlock: 32, bytesPerBlock: 34,
                          dequantize: { GGMLBlocks.dequantizeQ8_0($0, firstBlock: $1, blocks: $2, into: $3) },
                          quantize: { GGMLBlocks.quantizeQ8_0($0, blocks: $1, into: $2, firstBlock: $3) },
                          kernels: WeightKernels(matvec: lmz_matvec_q8_0, decodeRows: lmz_decode_rows_q8_0)),
        BlockQuantization(dtype: .q4_0, ggmlType: 2, fileType: 2, valuesPerBlock: 32, bytesPerBlock: 18,
                          dequantize: { GGMLBlocks.dequantizeQ4_0($0, firstBlock: $1, blocks: $2, into: $3) }, quantize: nil,
                          kernels: WeightKernels(matvec: lmz_matvec_q4_0, decodeRows: lmz_decode_rows_q4_0)),
    ]

    /// The block types lmzoo can write (those with a quantiser), in table order: `convert --dtype`'s
    /// block choices and the GGUF writer's targets.
    public static var writable: [DType] { all.filter { $0.quantize != nil }.map(\.dtype) }

    /// The entry of `dtype`, nil for element types.
    public static func of(_ dtype: DType) -> BlockQuantization? { all.first { $0.dtype == dtype } }
}
