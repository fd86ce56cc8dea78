import LMZooCore

/// ggml tensor type ids (gguf-py's `GGMLQuantizationType`, llama.cpp's `ggml_type`) and the lmzoo
/// ``DType`` each one is.
public enum GGMLType {
    /// The ids lmzoo reads and writes, and their dtypes.
    static let supported: [(id: UInt32, dtype: DType)] = [
        (0, .f32), (1, .f16), (24, .i8), (25, .i16), (26, .i32), (27, .i64), (28, .f64), (30, .bf16),
    ] + BlockQuantization.all.map { (id: $0.ggmlType, dtype: $0.dtype) }

    /// Every id gguf-py knows, for messages about the ones lmzoo does not support.
    static let names: [UInt32: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1", 10: "Q2_K",
        11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS",
        19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32",
        27: "I64", 28: "F64", 29: "IQ1_M", 30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
    ]

    /// The dtype of ggml type `id`, or nil when lmzoo does not support it.
    public static func dtype(id: UInt32) -> DType? { supported.first { $0.id == id }?.dtype }

    /// The ggml type id of `dtype`, or nil when GGUF has no such type (BOOL, unsigned integers).
    public static func id(of dtype: DType) -> UInt32? { supported.first { $0.dtype == dtype }?.id }

    /// `Q4_K (12)` for a known id, `12` otherwise.
    static func describe(id: UInt32) -> String { names[id].map { "\($0) (\(id))" } ?? String(id) }
}
