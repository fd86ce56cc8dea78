/// The element type of a tensor, spelled as safetensors spells it (`F32`, `BF16`, ...).
///
/// The declaration order is the safetensors crate's `Dtype` order (increasing alignment); writers
/// that lay tensors out "largest alignment first" sort by ``safetensorsRank``.
public enum DType: String, CaseIterable, Sendable, Hashable {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"
    /// GGUF/llama.cpp block quantization: blocks of 32 values, an f16 scale + 32 int8 (34 bytes).
    case q8_0 = "Q8_0"
    /// GGUF/llama.cpp block quantization: blocks of 32 values, an f16 scale + 16 bytes of nibbles (18 bytes).
    case q4_0 = "Q4_0"

    /// The dtypes a safetensors file can hold (everything but block-quantized types).
    public static let elementTypes: [DType] = allCases.filter { !$0.isBlockQuantized }

    /// True for llama.cpp's block-quantized types, whose bytes describe blocks of values.
    public var isBlockQuantized: Bool { blockSize > 1 }

    /// Values per block (1 for ordinary element types; ``BlockQuantization`` for the others).
    public var blockSize: Int { BlockQuantization.of(self)?.valuesPerBlock ?? 1 }

    /// Bytes per block (for element types: bytes per element).
    public var blockByteSize: Int {
        switch self {
        case .bool, .u8, .i8: 1
        case .i16, .u16, .f16, .bf16: 2
        case .i32, .u32, .f32: 4
        case .f64, .i64, .u64: 8
        default: BlockQuantization.of(self)!.bytesPerBlock
        }
    }

    /// Bytes per element of an element type. Block-quantized types have no whole number of
    /// bytes per element: use ``byteCount(elements:)`` for them.
    public var byteSize: Int {
        precondition(!isBlockQuantized, "\(rawValue) is block-quantized: use byteCount(elements:)")
        return blockByteSize
    }

    /// True for the floating-point types (the ones `--dtype` converts between).
    public var isFloatingPoint: Bool {
        switch self {
        case .f16, .bf16, .f32, .f64: true
        default: isBlockQuantized
        }
    }

    /// Position in the safetensors crate's `Dtype` enum (its sort key when writing); block types last.
    public var safetensorsRank: Int {
        switch self {
        case .bool: 0
        case .u8: 1
        case .i8: 2
        // 3, 4: F8_E5M2, F8_E4M3 (not supported by lmzoo)
        case .i16: 5
        case .u16: 6
        case .f16: 7
        case .bf16: 8
        case .i32: 9
        case .u32: 10
        case .f32: 11
        case .f64: 12
        case .i64: 13
        case .u64: 14
        default: 15 + BlockQuantization.all.firstIndex { $0.dtype == self }!
        }
    }

    /// Parses a user-facing dtype name, case-insensitively (`f16`, `BF16`, `float32`).
    public init?(userName: String) {
        let upper = userName.uppercased()
        if let direct = DType(rawValue: upper) {
            self = direct
            return
        }
        switch upper {
        case "FLOAT32", "FLOAT": self = .f32
        case "FLOAT16", "HALF": self = .f16
        case "BFLOAT16": self = .bf16
        case "FLOAT64", "DOUBLE": self = .f64
        default: return nil
        }
    }
}

extension DType {
    /// Bytes needed for `shape` elements of this type, or nil when the product overflows `Int`.
    public func byteCount(forShape shape: [Int]) -> Int? {
        guard let count = Shape.elementCount(shape) else { return nil }
        return byteCount(elements: count)
    }

    /// Bytes of `elements` values; nil on overflow or, for block types, when `elements` is not a
    /// whole number of blocks.
    public func byteCount(elements: Int) -> Int? {
        guard elements >= 0, elements % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elements / blockSize).multipliedReportingOverflow(by: blockByteSize)
        return overflow ? nil : bytes
    }
}

/// Helpers for shapes (row-major, outermost dimension first).
public enum Shape {
    /// Product of the dimensions (1 for a 0-d tensor); nil when negative or overflowing.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dim in shape {
            guard dim >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// `[2, 3]` for shape `[2, 3]`, `[]` for a scalar.
    public static func describe(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }
}
