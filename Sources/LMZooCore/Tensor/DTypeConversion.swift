/// Element-wise conversion of little-endian buffers between dtypes.
///
/// Floating types (F64, F32, F16, BF16) convert among each other, narrowing with
/// round-to-nearest-even (see ``HalfPrecision``). Integer and bool buffers only "convert" to
/// their own dtype. Buffers may be unaligned (mapped files): reads and writes are unaligned-safe.
public enum DTypeConversion {
    /// Converts `source` (elements of `from`) into `destination` (elements of `to`); the buffers
    /// must hold the same number of elements.
    public static func convert(
        _ source: UnsafeRawBufferPointer, from: DType, to: DType, into destination: UnsafeMutableRawBufferPointer
    ) throws {
        let count = source.count / from.byteSize
        precondition(source.count == count * from.byteSize && destination.count == count * to.byteSize,
                     "convert: element counts differ")
        if from == to {
            if count > 0 { destination.copyMemory(from: source) }
            return
        }
        guard from.isFloatingPoint, to.isFloatingPoint else {
            throw TensorError.unsupportedConversion(from: from, to: to)
        }
        guard let src = source.baseAddress, let dst = destination.baseAddress else { return }
        if from == .f64 {
            let read = { (i: Int) in src.loadUnaligned(fromByteOffset: i &* 8, as: Double.self) }
            switch to {
            case .f32: store(count, dst, read: read) { Float($0) }
            case .f16: store(count, dst, read: read) { HalfPrecision.f16Bits(from: $0) }
            default: store(count, dst, read: read) { HalfPrecision.bf16Bits(from: $0) }
            }
            return
        }
        switch (from, to) {
        case (.f32, _): narrowOrWiden(count, dst, to: to) { src.loadUnaligned(fromByteOffset: $0 &* 4, as: Float.self) }
        case (.f16, _): narrowOrWiden(count, dst, to: to) { HalfPrecision.float(fromF16: src.loadUnaligned(fromByteOffset: $0 &* 2, as: UInt16.self)) }
        default: narrowOrWiden(count, dst, to: to) { HalfPrecision.float(fromBF16: src.loadUnaligned(fromByteOffset: $0 &* 2, as: UInt16.self)) }
        }
    }

    /// Widens `source` (F64/F32/F16/BF16 or an integer type) into `Float`s.
    public static func toFloat(_ source: UnsafeRawBufferPointer, from: DType, into destination: UnsafeMutableBufferPointer<Float>) {
        let count = source.count / from.byteSize
        precondition(destination.count == count, "toFloat: element counts differ")
        guard let src = source.baseAddress, let dst = destination.baseAddress else { return }
        func fill<T>(_: T.Type, _ convert: (T) -> Float) {
            for i in 0..<count { dst[i] = convert(src.loadUnaligned(fromByteOffset: i &* MemoryLayout<T>.size, as: T.self)) }
        }
        switch from {
        case .f32: fill(Float.self) { $0 }
        case .f64: fill(Double.self) { Float($0) }
        case .f16: fill(UInt16.self) { HalfPrecision.float(fromF16: $0) }
        case .bf16: fill(UInt16.self) { HalfPrecision.float(fromBF16: $0) }
        case .bool, .u8: fill(UInt8.self) { Float($0) }
        case .i8: fill(Int8.self) { Float($0) }
        case .i16: fill(Int16.self) { Float($0) }
        case .u16: fill(UInt16.self) { Float($0) }
        case .i32: fill(Int32.self) { Float($0) }
        case .u32: fill(UInt32.self) { Float($0) }
        case .i64: fill(Int64.self) { Float($0) }
        case .u64: fill(UInt64.self) { Float($0) }
        }
    }

    @inline(__always)
    private static func narrowOrWiden(_ count: Int, _ dst: UnsafeMutableRawPointer, to: DType, read: (Int) -> Float) {
        switch to {
        case .f64: store(count, dst, read: read) { Double($0) }
        case .f32: store(count, dst, read: read) { $0 }
        case .f16: store(count, dst, read: read) { HalfPrecision.f16Bits(from: $0) }
        default: store(count, dst, read: read) { HalfPrecision.bf16Bits(from: $0) }
        }
    }

    @inline(__always)
    private static func store<In, Out>(_ count: Int, _ dst: UnsafeMutableRawPointer, read: (Int) -> In, convert: (In) -> Out) {
        let stride = MemoryLayout<Out>.size
        for i in 0..<count { dst.storeBytes(of: convert(read(i)), toByteOffset: i &* stride, as: Out.self) }
    }
}

extension DTypeConversion {
    /// True when some value of `from` has no exact representation in `to`.
    public static func isLossy(from: DType, to: DType) -> Bool {
        guard from != to else { return false }
        switch (from, to) {
        case (.f16, .f32), (.f16, .f64), (.bf16, .f32), (.bf16, .f64), (.f32, .f64): return false
        default: return true
        }
    }
}
