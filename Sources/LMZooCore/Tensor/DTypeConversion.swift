/// Element-wise conversion of little-endian buffers between dtypes.
///
/// Any numeric dtype converts to a floating type (F64, F32, F16, BF16) or to a block type lmzoo
/// quantises to (Q8_0); narrowing rounds to nearest even (see ``HalfPrecision``), block types
/// quantise and dequantise as ggml does, through ``BlockQuantization``. Integer and bool buffers only
/// "convert" to their own dtype. Buffers may be unaligned (mapped files). Work goes through a small
/// chunk buffer, so converting a tensor of any size needs only a few KiB of scratch memory.
public enum DTypeConversion {
    /// Elements per chunk (a multiple of every block size).
    static let chunkElements = 4096

    /// True when a buffer of `from` can be converted to `to`.
    public static func canConvert(from: DType, to: DType) -> Bool {
        from == to || (to.isFloatingPoint && BlockQuantization.of(to).map { $0.quantize != nil } ?? true)
    }

    /// Number of values held by `byteCount` bytes of `dtype` (nil when not a whole number of blocks).
    public static func elementCount(byteCount: Int, dtype: DType) -> Int? {
        guard byteCount % dtype.blockByteSize == 0 else { return nil }
        return byteCount / dtype.blockByteSize * dtype.blockSize
    }

    /// Converts `source` (values of `from`) into `destination` (the same number of values of `to`).
    public static func convert(
        _ source: UnsafeRawBufferPointer, from: DType, to: DType, into destination: UnsafeMutableRawBufferPointer
    ) throws {
        guard let count = elementCount(byteCount: source.count, dtype: from), destination.count == to.byteCount(elements: count) else {
            throw TensorError.sizeMismatch(expected: source.count, actual: destination.count)
        }
        if from == to {
            if count > 0 { destination.copyMemory(from: source) }
            return
        }
        guard canConvert(from: from, to: to) else { throw TensorError.unsupportedConversion(from: from, to: to) }
        guard let src = source.baseAddress, let dst = destination.baseAddress else { return }
        if needsDoublePrecision(from) {
            var scratch = [Double](repeating: 0, count: min(chunkElements, count))
            forEachChunk(count) { start, n in
                scratch.withUnsafeMutableBufferPointer { values in
                    decodeWide(src, from, start, n, into: values.baseAddress!)
                    encodeWide(values.baseAddress!, n, to, into: dst, at: start)
                }
            }
        } else {
            var scratch = [Float](repeating: 0, count: min(chunkElements, count))
            forEachChunk(count) { start, n in
                scratch.withUnsafeMutableBufferPointer { values in
                    decode(src, from, start, n, into: values.baseAddress!)
                    encode(values.baseAddress!, n, to, into: dst, at: start)
                }
            }
        }
    }

    /// True when some value of `from` has no exact representation in `to`.
    public static func isLossy(from: DType, to: DType) -> Bool {
        if from == to { return false }
        if BlockQuantization.of(from) != nil { return !(to == .f32 || to == .f64) }  // blocks decode exactly to f32
        switch (from, to) {
        case (.bool, .f16), (.bool, .bf16), (.bool, .f32), (.bool, .f64),
             (.i8, .f16), (.i8, .bf16), (.i8, .f32), (.i8, .f64), (.u8, .f16), (.u8, .bf16), (.u8, .f32), (.u8, .f64),
             (.i16, .f32), (.i16, .f64), (.u16, .f32), (.u16, .f64), (.i32, .f64), (.u32, .f64),
             (.f16, .f32), (.f16, .f64), (.bf16, .f32), (.bf16, .f64), (.f32, .f64):
            return false
        default:
            return true
        }
    }

    // MARK: chunks

    private static func forEachChunk(_ count: Int, _ body: (Int, Int) -> Void) {
        var start = 0
        while start < count {
            let n = min(chunkElements, count - start)
            body(start, n)
            start += n
        }
    }

    private static func needsDoublePrecision(_ dtype: DType) -> Bool {
        switch dtype {
        case .f64, .i32, .u32, .i64, .u64: true
        default: false
        }
    }

    // MARK: decoding to Float / Double

    @inline(__always)
    private static func load<T>(_ src: UnsafeRawPointer, _ index: Int, _: T.Type) -> T {
        src.loadUnaligned(fromByteOffset: index &* MemoryLayout<T>.size, as: T.self)
    }

    private static func decode(_ src: UnsafeRawPointer, _ from: DType, _ start: Int, _ n: Int, into out: UnsafeMutablePointer<Float>) {
        if let blocks = BlockQuantization.of(from) {
            return blocks.dequantize(src, start / blocks.valuesPerBlock, n / blocks.valuesPerBlock, out)
        }
        switch from {
        case .f32: for i in 0..<n { out[i] = load(src, start + i, Float.self) }
        case .f16: for i in 0..<n { out[i] = HalfPrecision.float(fromF16: load(src, start + i, UInt16.self)) }
        case .bf16: for i in 0..<n { out[i] = HalfPrecision.float(fromBF16: load(src, start + i, UInt16.self)) }
        case .bool, .u8: for i in 0..<n { out[i] = Float(load(src, start + i, UInt8.self)) }
        case .i8: for i in 0..<n { out[i] = Float(load(src, start + i, Int8.self)) }
        case .i16: for i in 0..<n { out[i] = Float(load(src, start + i, Int16.self)) }
        case .u16: for i in 0..<n { out[i] = Float(load(src, start + i, UInt16.self)) }
        case .f64, .i32, .u32, .i64, .u64: preconditionFailure("wide types decode to Double")
        default: preconditionFailure("block types decode through BlockQuantization")
        }
    }

    private static func decodeWide(_ src: UnsafeRawPointer, _ from: DType, _ start: Int, _ n: Int, into out: UnsafeMutablePointer<Double>) {
        switch from {
        case .f64: for i in 0..<n { out[i] = load(src, start + i, Double.self) }
        case .i32: for i in 0..<n { out[i] = Double(load(src, start + i, Int32.self)) }
        case .u32: for i in 0..<n { out[i] = Double(load(src, start + i, UInt32.self)) }
        case .i64: for i in 0..<n { out[i] = Double(load(src, start + i, Int64.self)) }
        case .u64: for i in 0..<n { out[i] = Double(load(src, start + i, UInt64.self)) }
        default: preconditionFailure("narrow types decode to Float")
        }
    }

    // MARK: encoding from Float / Double

    @inline(__always)
    private static func store<T>(_ value: T, _ dst: UnsafeMutableRawPointer, _ index: Int) {
        dst.storeBytes(of: value, toByteOffset: index &* MemoryLayout<T>.size, as: T.self)
    }

    private static func encode(_ values: UnsafeMutablePointer<Float>, _ n: Int, _ to: DType, into dst: UnsafeMutableRawPointer, at start: Int) {
        if let blocks = BlockQuantization.of(to), let quantize = blocks.quantize {
            return quantize(values, n / blocks.valuesPerBlock, dst, start / blocks.valuesPerBlock)
        }
        switch to {
        case .f32: for i in 0..<n { store(values[i], dst, start + i) }
        case .f64: for i in 0..<n { store(Double(values[i]), dst, start + i) }
        case .f16: for i in 0..<n { store(HalfPrecision.f16Bits(from: values[i]), dst, start + i) }
        case .bf16: for i in 0..<n { store(HalfPrecision.bf16Bits(from: values[i]), dst, start + i) }
        default: preconditionFailure("not a conversion target: \(to)")
        }
    }

    private static func encodeWide(_ values: UnsafeMutablePointer<Double>, _ n: Int, _ to: DType, into dst: UnsafeMutableRawPointer, at start: Int) {
        switch to {
        case .f64: for i in 0..<n { store(values[i], dst, start + i) }
        case .f32: for i in 0..<n { store(Float(values[i]), dst, start + i) }
        case .f16: for i in 0..<n { store(HalfPrecision.f16Bits(from: values[i]), dst, start + i) }
        case .bf16: for i in 0..<n { store(HalfPrecision.bf16Bits(from: values[i]), dst, start + i) }
        default:
            guard BlockQuantization.of(to)?.quantize != nil else { preconditionFailure("not a conversion target: \(to)") }
            var floats = [Float](repeating: 0, count: n)
            for i in 0..<n { floats[i] = Float(values[i]) }
            floats.withUnsafeMutableBufferPointer { encode($0.baseAddress!, n, to, into: dst, at: start) }
        }
    }
}
