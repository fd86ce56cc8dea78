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
