import LMZooCore
import Testing

/// The table of llama.cpp block types: sizes as gguf-py's `GGML_QUANT_SIZES` and ggml's `ggml_type`
/// ids say, and DType / DTypeConversion reading them from it.
@Suite struct BlockQuantizationTests {
    @Test func sizesAndIdsAreGGMLs() {
        // gguf-py: GGML_QUANT_SIZES[Q4_0] = (32, 2 + 16), [Q8_0] = (32, 2 + 32); ggml_type Q4_0 = 2, Q8_0 = 8.
        let expected: [DType: (id: UInt32, values: Int, bytes: Int)] = [.q4_0: (2, 32, 18), .q8_0: (8, 32, 34)]
        #expect(BlockQuantization.all.count == expected.count)
        for entry in BlockQuantization.all {
            let want = expected[entry.dtype]
            #expect(want?.id == entry.ggmlType && want?.values == entry.valuesPerBlock && want?.bytes == entry.bytesPerBlock)
            #expect(entry.dtype.isBlockQuantized && entry.dtype.isFloatingPoint)
            #expect(entry.dtype.blockSize == entry.valuesPerBlock && entry.dtype.blockByteSize == entry.bytesPerBlock)
            #expect(entry.dtype.byteCount(elements: 64) == 2 * entry.bytesPerBlock && entry.dtype.byteCount(elements: 33) == nil)
        }
        #expect(DType.f32.blockSize == 1 && BlockQuantization.of(.f32) == nil)
    }

    @Test func conversionGoesThroughTheTable() throws {
        #expect(DTypeConversion.canConvert(from: .f32, to: .q8_0))
        #expect(!DTypeConversion.canConvert(from: .f32, to: .q4_0))  // read, kept as it is, not written
        #expect(!DTypeConversion.isLossy(from: .q4_0, to: .f32) && DTypeConversion.isLossy(from: .q8_0, to: .f16))
        // One Q8_0 block: d = max|x| / 127, stored as f16; each value is off by at most half a step
        // (plus the f16 rounding of d times |q| <= 127: 127 * 2^-11 * d).
        let values = (0..<32).map { Float($0 - 16) * 0.1 }
        let d: Float = 1.6 / 127
        var blocks = [UInt8](repeating: 0, count: 34), back = [Float](repeating: 0, count: 32)
        try values.withUnsafeBytes { src in try blocks.withUnsafeMutableBytes { try DTypeConversion.convert(src, from: .f32, to: .q8_0, into: $0) } }
        try blocks.withUnsafeBytes { src in try back.withUnsafeMutableBytes { try DTypeConversion.convert(src, from: .q8_0, to: .f32, into: $0) } }
        let worst = zip(values, back).map { abs($0 - $1) }.max()!
        #expect(worst <= d * 0.57, "\(worst)")
    }
}

/// Each table entry's fused kernels (CKernels, AVX2 where the CPU has it) against its dequantiser:
/// the row decoder gives the dequantiser's floats exactly, the matvec their dot product, and
/// ``Linear`` keeps such a weight compressed and computes what its bytes say.
@Suite struct BlockKernelTests {
    /// Deterministic pseudo-random bytes / floats in [-1, 1).
    struct Noise {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        mutating func float() -> Float { Float(next() % 2_000_001) / 1_000_000 - 1 }
    }

    /// `rows` rows of `cols` values in `entry`'s encoding: quantised floats when it has a quantiser,
    /// else random quants under random f16 scales in [0.01, 0.1).
    static func blocks(_ entry: BlockQuantization, rows: Int, cols: Int, seed: UInt64) -> [UInt8] {
        var noise = Noise(state: seed)
        let count = rows * cols / entry.valuesPerBlock
        var bytes = [UInt8](repeating: 0, count: count * entry.bytesPerBlock)
        if let quantize = entry.quantize {
            let values = (0..<rows * cols).map { _ in noise.float() }
            values.withUnsafeBufferPointer { v in bytes.withUnsafeMutableBytes { quantize(v.baseAddress!, count, $0.baseAddress!, 0) } }
        } else {
            for b in 0..<count {
                let scale = HalfPrecision.f16Bits(from: 0.01 + 0.09 * abs(noise.float()))
                bytes[b * entry.bytesPerBlock] = UInt8(scale & 0xFF)
                bytes[b * entry.bytesPerBlock + 1] = UInt8(scale >> 8)
                for i in 2..<entry.bytesPerBlock { bytes[b * entry.bytesPerBlock + i] = UInt8(noise.next() & 0xFF) }
            }
        }
        return bytes
    }

    static func dequantized(_ entry: BlockQuantization, _ bytes: [UInt8], values: Int) -> [Float] {
        var out = [Float](repeating: 0, count: values)
        bytes.withUnsafeBytes { src in out.withUnsafeMutableBufferPointer { entry.dequantize(src.baseAddress!, 0, values / entry.valuesPerBlock, $0.baseAddress!) } }
        return out
    }

    @Test func everyBlockTypeHasFusedKernels() {
        for entry in BlockQuantization.all { #expect(entry.kernels != nil, "\(entry.dtype)") }
        #expect(WeightKernels.of(.f32) == nil && WeightKernels.of(.f16) != nil && WeightKernels.of(.q4_0) != nil)
        #expect(WeightKernels.canKeep(.q8_0, inFeatures: 64) && !WeightKernels.canKeep(.q8_0, inFeatures: 48))
    }

    /// Q4_0's layout by hand: the low nibble of byte j is value j, the high nibble value j + 16, each minus 8.
    @Test func q4_0DequantisesAsLlamaCpp() throws {
        var block: [UInt8] = [0x00, 0x38]  // d = 0.5 (f16 0x3800)
        for j in 0..<16 { block.append(UInt8(j) | UInt8(15 - j) << 4) }
        let low: [Float] = (0..<16).map { j in Float(j - 8) * 0.5 }
        let high: [Float] = (0..<16).map { j in Float(7 - j) * 0.5 }
        let expected = low + high
        let entry = BlockQuantization.of(.q4_0)!
        #expect(Self.dequantized(entry, block, values: 32) == expected)
        let tensor = try block.withUnsafeBytes { try Tensor(dtype: .q4_0, shape: [32], copying: $0) }
        #expect(tensor.floats() == expected)
        var decoded = [Float](repeating: 0, count: 32)
        block.withUnsafeBytes { w in decoded.withUnsafeMutableBufferPointer { entry.kernels!.decodeRows(w.baseAddress!, 0, 1, 32, $0.baseAddress!) } }
        #expect(decoded == expected)
    }

    @Test(arguments: BlockQuantization.all.map(\.dtype))
    func fusedKernelMatchesTheDequantisedReference(dtype: DType) {
        let entry = BlockQuantization.of(dtype)!, kernels = entry.kernels!
        let (rows, cols, row0, count) = (7, 160, 2, 4)  // 5 blocks a row; rows 2..<6 through the kernels
        let bytes = Self.blocks(entry, rows: rows, cols: cols, seed: 7)
        let reference = Self.dequantized(entry, bytes, values: rows * cols)
        var noise = Noise(state: 11)
        let x = (0..<cols).map { _ in noise.float() }
        var y = [Float](repeating: 0, count: count), decoded = [Float](repeating: 0, count: count * cols)
        bytes.withUnsafeBytes { w in
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { kernels.matvec(w.baseAddress!, row0, count, cols, xp.baseAddress!, $0.baseAddress!) } }
            decoded.withUnsafeMutableBufferPointer { kernels.decodeRows(w.baseAddress!, row0, count, cols, $0.baseAddress!) }
        }
        #expect(decoded == Array(reference[row0 * cols..<(row0 + count) * cols]))
        for r in 0..<count {
            let want = (0..<cols).reduce(0.0) { $0 + Double(reference[(row0 + r) * cols + $1]) * Double(x[$1]) }
            #expect(abs(Double(y[r]) - want) < 1e-5 * max(1, abs(want)), "\(dtype) row \(r): \(y[r]) vs \(want)")
        }
    }

    /// ``Linear`` keeps a weight in a block type with kernels compressed (Q4_0 too, which lmzoo cannot
    /// quantise to) and its products, one row (matvec) or many (decoded tiles + sgemm), are the
    /// dequantised weight's.
    @Test(arguments: BlockQuantization.all.map(\.dtype))
    func linearRunsStoredBlocksThroughTheTable(dtype: DType) throws {
        let entry = BlockQuantization.of(dtype)!
        let (outF, inF) = (40, 64)
        let bytes = Self.blocks(entry, rows: outF, cols: inF, seed: 3)
        let weight = try bytes.withUnsafeBytes { try Tensor(dtype: dtype, shape: [outF, inF], copying: $0) }
        let layer = try Linear(name: "w", weight: weight, bias: nil)
        #expect(layer.storage == .compressed(dtype))
        let w = weight.floats()
        var noise = Noise(state: 5)
        for rows in [1, 5] {
            let x = (0..<rows * inF).map { _ in noise.float() }
            var y = [Float](repeating: 0, count: rows * outF)
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { layer.apply(xp.baseAddress!, rows: rows, into: $0.baseAddress!) } }
            for i in 0..<rows * outF {
                let (r, o) = (i / outF, i % outF)
                let want = (0..<inF).reduce(0.0) { $0 + Double(x[r * inF + $1]) * Double(w[o * inF + $1]) }
                #expect(abs(Double(y[i]) - want) < 1e-5 * max(1, abs(want)), "\(dtype) rows \(rows) [\(i)]")
            }
        }
        // A block type without a quantiser is not made from f32: the layer widens instead.
        if entry.quantize == nil {
            let f32 = try Tensor(shape: [outF, inF], floats: w)
            #expect(try Linear(name: "w", weight: f32, bias: nil, precision: dtype).storage == .f32OutputMajor)
        }
    }
}
