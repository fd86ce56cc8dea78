/// llama.cpp's block-quantised tensor types, one entry each: what ggml's `type_traits` and gguf-py's
/// `GGML_QUANT_SIZES` say of a type (its GGUF id, values and bytes per block) and the functions that
/// decode and encode its blocks (``GGMLBlocks``). ``DType``'s sizes, ``DTypeConversion`` and the GGUF
/// type ids read this table; adding a type is a ``DType`` case, an entry here and its kernels.
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
    public let valuesPerBlock: Int
    public let bytesPerBlock: Int
    public let dequantize: Dequantize
    /// nil: lmzoo reads the type but does not write it (its tensors are kept as they are).
    public let quantize: Quantize?

    /// Every block-quantised type lmzoo knows (this order is their ``DType/safetensorsRank`` order).
    public static let all: [BlockQuantization] = [
        BlockQuantization(dtype: .q8_0, ggmlType: 8, valuesPerBlock: 32, bytesPerBlock: 34,
                          dequantize: { GGMLBlocks.dequantizeQ8_0($0, firstBlock: $1, blocks: $2, into: $3) },
                          quantize: { GGMLBlocks.quantizeQ8_0($0, blocks: $1, into: $2, firstBlock: $3) }),
        BlockQuantization(dtype: .q4_0, ggmlType: 2, valuesPerBlock: 32, bytesPerBlock: 18,
                          dequantize: { GGMLBlocks.dequantizeQ4_0($0, firstBlock: $1, blocks: $2, into: $3) }, quantize: nil),
    ]

    /// The entry of `dtype`, nil for element types.
    public static func of(_ dtype: DType) -> BlockQuantization? { all.first { $0.dtype == dtype } }
}
