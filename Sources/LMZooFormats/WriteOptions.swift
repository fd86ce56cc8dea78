import LMZooCore

/// What to do with tensors that are the same storage under two names (tied weights).
public enum SharedTensorPolicy: String, Sendable, CaseIterable {
    /// Write each name's bytes separately: every reader sees every name (the default).
    case duplicate
    /// Write the bytes once and record the other names (safetensors: in `lmzoo.aliases`
    /// metadata, which lmzoo's reader turns back into shared views).
    case writeOnce = "once"
}

/// Options every checkpoint writer takes.
public struct WriteOptions: Sendable {
    /// Convert floating-point tensors to this dtype (nil keeps each tensor's dtype). Integer and
    /// bool tensors are never converted.
    public var dtype: DType?
    public var sharedTensors: SharedTensorPolicy

    public init(dtype: DType? = nil, sharedTensors: SharedTensorPolicy = .duplicate) {
        self.dtype = dtype
        self.sharedTensors = sharedTensors
    }

    /// The dtype a tensor of `dtype` is written as.
    public func targetDType(for dtype: DType) -> DType {
        guard let target = self.dtype, dtype.isFloatingPoint else { return dtype }
        return target
    }
}

/// What a writer wrote.
public struct WriteSummary: Sendable, Equatable {
    public let path: String
    public let tensorCount: Int
    public let byteCount: Int

    public init(path: String, tensorCount: Int, byteCount: Int) {
        self.path = path
        self.tensorCount = tensorCount
        self.byteCount = byteCount
    }
}

/// Streams tensor bytes to a file, converting dtype in bounded chunks so that no second copy of
/// a tensor is ever held.
public enum TensorStreaming {
    /// Values converted per chunk (a multiple of every block size).
    static let chunkElements = 1 << 18

    /// Writes `tensor`'s values as `dtype` to `writer`.
    public static func write(_ tensor: Tensor, as dtype: DType, to writer: AtomicFileWriter) throws {
        try forEachChunk(of: tensor, as: dtype) { try writer.write($0) }
    }

    /// Calls `body` with consecutive chunks of `tensor`'s bytes converted to `dtype` (the tensor's
    /// own bytes, uncopied, when no conversion is needed).
    public static func forEachChunk(of tensor: Tensor, as dtype: DType, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try tensor.withUnsafeBytes { source in
            if dtype == tensor.dtype {
                try body(source)
                return
            }
            guard DTypeConversion.canConvert(from: tensor.dtype, to: dtype) else {
                throw TensorError.unsupportedConversion(from: tensor.dtype, to: dtype)
            }
            let count = tensor.elementCount
            guard count % dtype.blockSize == 0 else { throw TensorError.shapeOverflow(shape: tensor.shape, dtype: dtype) }
            var scratch = [UInt8](repeating: 0, count: dtype.byteCount(elements: min(count, chunkElements))!)
            var start = 0
            while start < count {
                let n = min(chunkElements, count - start)
                let from = tensor.dtype.byteCount(elements: start)!, upTo = tensor.dtype.byteCount(elements: start + n)!
                let input = UnsafeRawBufferPointer(rebasing: source[from..<upTo])
                try scratch.withUnsafeMutableBytes { chunk in
                    let output = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<dtype.byteCount(elements: n)!])
                    try DTypeConversion.convert(input, from: tensor.dtype, to: dtype, into: output)
                    try body(UnsafeRawBufferPointer(output))
                }
                start += n
            }
        }
    }
}

/// A writer asked for something its container cannot express.
public enum FormatCapabilityError: Error, Equatable, CustomStringConvertible {
    case cannotHold(format: String, dtype: DType)

    public var description: String {
        switch self {
        case let .cannotHold(format, dtype) where dtype.isBlockQuantized:
            "\(format) cannot hold \(dtype.rawValue) tensors; use --dtype f32 (or f16/bf16) to dequantise"
        case let .cannotHold(format, dtype): "\(format) cannot hold \(dtype.rawValue) tensors"
        }
    }
}
