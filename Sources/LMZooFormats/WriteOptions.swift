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
}

/// Streams tensor bytes to a file, converting dtype in bounded chunks so that no second copy of
/// a tensor is ever held.
enum TensorStreaming {
    /// Elements converted per chunk.
    static let chunkElements = 1 << 18

    static func write(_ tensor: Tensor, as dtype: DType, to writer: AtomicFileWriter) throws {
        try tensor.withUnsafeBytes { source in
            if dtype == tensor.dtype {
                try writer.write(source)
                return
            }
            let count = tensor.elementCount
            var scratch = [UInt8](repeating: 0, count: min(count, chunkElements) * dtype.byteSize)
            var start = 0
            while start < count {
                let n = min(chunkElements, count - start)
                let input = UnsafeRawBufferPointer(rebasing: source[(start * tensor.dtype.byteSize)..<((start + n) * tensor.dtype.byteSize)])
                try scratch.withUnsafeMutableBytes { chunk in
                    let output = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<(n * dtype.byteSize)])
                    try DTypeConversion.convert(input, from: tensor.dtype, to: dtype, into: output)
                    try writer.write(UnsafeRawBufferPointer(output))
                }
                start += n
            }
        }
    }
}
