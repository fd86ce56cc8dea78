/// A dense, row-major, little-endian tensor: a dtype, a shape and a byte range of a
/// ``TensorBuffer``. Copying a `Tensor` copies no data; two tensors can share one buffer (views,
/// tied weights).
public struct Tensor: @unchecked Sendable {
    /// Element type.
    public let dtype: DType
    /// Dimensions, outermost first; `[]` for a scalar (0-d tensor).
    public let shape: [Int]
    /// The storage this tensor's bytes live in.
    public let buffer: TensorBuffer
    /// Where this tensor's bytes start inside ``buffer``.
    public let byteOffset: Int
    /// Number of bytes (`dtype.byteCount(forShape: shape)`).
    public let byteCount: Int
    /// Number of elements (1 for a scalar, 0 for an empty tensor).
    public let elementCount: Int
    /// For a deferred tensor: computes its bytes on each access (see ``deferred(dtype:shape:produce:)``).
    private let producer: (@Sendable () -> Tensor)?

    /// A view of `buffer` at `byteOffset`. Fails when the shape overflows or the bytes would run
    /// past the end of the buffer.
    public init(dtype: DType, shape: [Int], buffer: TensorBuffer, byteOffset: Int) throws {
        guard let byteCount = dtype.byteCount(forShape: shape) else {
            throw TensorError.shapeOverflow(shape: shape, dtype: dtype)
        }
        guard byteOffset >= 0, byteOffset <= buffer.bytes.count, byteCount <= buffer.bytes.count - byteOffset else {
            throw TensorError.outOfBounds(offset: byteOffset, byteCount: byteCount, bufferSize: buffer.bytes.count)
        }
        self.dtype = dtype
        self.shape = shape
        self.buffer = buffer
        self.byteOffset = byteOffset
        self.byteCount = byteCount
        self.elementCount = Shape.elementCount(shape)!
        producer = nil
    }

    /// A tensor whose bytes are computed by `produce` each time they are read, and released after:
    /// a re-mapped checkpoint (transposed weights) can then be written tensor by tensor without
    /// holding every transformed tensor at once. `produce` must return a tensor of `dtype` and `shape`.
    public static func deferred(dtype: DType, shape: [Int], produce: @escaping @Sendable () -> Tensor) throws -> Tensor {
        guard let byteCount = dtype.byteCount(forShape: shape) else { throw TensorError.shapeOverflow(shape: shape, dtype: dtype) }
        return Tensor(dtype: dtype, shape: shape, byteCount: byteCount, producer: produce)
    }

    private init(dtype: DType, shape: [Int], byteCount: Int, producer: @escaping @Sendable () -> Tensor) {
        self.dtype = dtype
        self.shape = shape
        self.buffer = TensorBuffer(zeroedByteCount: 0)  // a placeholder of its own: identity for alias detection
        self.byteOffset = 0
        self.byteCount = byteCount
        self.elementCount = Shape.elementCount(shape)!
        self.producer = producer
    }

    /// True for a tensor made by ``deferred(dtype:shape:produce:)``.
    public var isDeferred: Bool { producer != nil }

    /// A new owned, zero-filled tensor.
    public init(zeros dtype: DType, shape: [Int]) throws {
        guard let byteCount = dtype.byteCount(forShape: shape) else {
            throw TensorError.shapeOverflow(shape: shape, dtype: dtype)
        }
        try self.init(dtype: dtype, shape: shape, buffer: TensorBuffer(zeroedByteCount: byteCount), byteOffset: 0)
    }

    /// A new owned tensor holding a copy of `bytes` (which must be exactly the tensor's size).
    public init(dtype: DType, shape: [Int], copying bytes: UnsafeRawBufferPointer) throws {
        try self.init(zeros: dtype, shape: shape)
        guard bytes.count == byteCount else {
            throw TensorError.sizeMismatch(expected: byteCount, actual: bytes.count)
        }
        if byteCount > 0 { buffer.mutableBytes!.copyMemory(from: bytes) }
    }

    /// A new owned F32 tensor from `values` (count must match the shape).
    public init(shape: [Int], floats values: [Float]) throws {
        self = try values.withUnsafeBytes { raw in try Tensor(dtype: .f32, shape: shape, copying: raw) }
    }

    /// True when the bytes are a zero-copy view into a memory-mapped file.
    public var isMapped: Bool { buffer.mappedFile != nil }

    /// Calls `body` with this tensor's bytes (valid only inside the call).
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let producer {
            let produced = producer()
            precondition(produced.dtype == dtype && produced.shape == shape, "deferred tensor produced another dtype or shape")
            return try produced.withUnsafeBytes(body)
        }
        return try body(UnsafeRawBufferPointer(rebasing: buffer.bytes[byteOffset..<(byteOffset + byteCount)]))
    }

    /// True when both tensors use overlapping bytes of the same buffer.
    public func sharesStorage(with other: Tensor) -> Bool {
        guard buffer === other.buffer, byteCount > 0, other.byteCount > 0 else { return false }
        return byteOffset < other.byteOffset + other.byteCount && other.byteOffset < byteOffset + byteCount
    }

    /// True when both are the very same view: same buffer, bytes, dtype and shape (tied weights).
    public func isSameView(as other: Tensor) -> Bool {
        buffer === other.buffer && byteOffset == other.byteOffset && byteCount == other.byteCount
            && dtype == other.dtype && shape == other.shape
    }

    /// True when dtype, shape and every byte are equal.
    public func isBitwiseEqual(to other: Tensor) -> Bool {
        guard dtype == other.dtype, shape == other.shape else { return false }
        return withUnsafeBytes { mine in other.withUnsafeBytes { theirs in mine.elementsEqual(theirs) } }
    }

    /// The elements as `Float` (exact for F16/BF16/F32, dequantized for Q8_0/Q4_0, rounded for
    /// F64 and wide integers).
    public func floats() -> [Float] {
        var out = [Float](repeating: 0, count: elementCount)
        out.withUnsafeMutableBytes { destination in
            withUnsafeBytes { source in
                try! DTypeConversion.convert(source, from: dtype, to: .f32, into: destination)
            }
        }
        return out
    }

    /// An owned copy converted to `target` (floating types round to nearest even, Q8_0 quantizes
    /// as llama.cpp; integers convert only to floating types or themselves).
    public func converted(to target: DType) throws -> Tensor {
        if target == dtype { return self }
        let result = try Tensor(zeros: target, shape: shape)
        try withUnsafeBytes { source in
            try DTypeConversion.convert(source, from: dtype, to: target, into: result.buffer.mutableBytes!)
        }
        return result
    }
}

/// Errors building or converting tensors.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// The element count or byte size of the shape does not fit in a machine integer.
    case shapeOverflow(shape: [Int], dtype: DType)
    /// The byte range lies outside the buffer.
    case outOfBounds(offset: Int, byteCount: Int, bufferSize: Int)
    /// The supplied bytes do not match the shape x dtype size.
    case sizeMismatch(expected: Int, actual: Int)
    /// No conversion exists between these dtypes.
    case unsupportedConversion(from: DType, to: DType)

    public var description: String {
        switch self {
        case let .shapeOverflow(shape, dtype):
            "shape \(Shape.describe(shape)) of \(dtype.rawValue) overflows"
        case let .outOfBounds(offset, count, size):
            "bytes \(offset)..<\(offset + count) lie outside a buffer of \(size) bytes"
        case let .sizeMismatch(expected, actual):
            "expected \(expected) bytes, got \(actual)"
        case let .unsupportedConversion(from, to):
            "cannot convert \(from.rawValue) to \(to.rawValue)"
        }
    }
}
