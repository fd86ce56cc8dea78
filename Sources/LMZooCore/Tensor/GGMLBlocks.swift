import Foundation

/// llama.cpp's block quantization formats (ggml-quants.c), blocks of 32 values:
/// - Q8_0: `{ f16 d; int8 qs[32] }` (34 bytes), value = d * qs[i];
/// - Q4_0: `{ f16 d; uint8 qs[16] }` (18 bytes), value i = d * ((qs[i] & 15) - 8), value i+16 = d * ((qs[i] >> 4) - 8).
public enum GGMLBlocks {
    /// Quantizes `blocks` x 32 floats as `quantize_row_q8_0_ref`: d = max|x| / 127, q = round(x / d).
    public static func quantizeQ8_0(_ values: UnsafePointer<Float>, blocks: Int, into dst: UnsafeMutableRawPointer, firstBlock: Int) {
        for block in 0..<blocks {
            let x = values + block * 32
            var amax: Float = 0
            for i in 0..<32 { amax = max(amax, abs(x[i])) }
            let d = amax / 127
            let inverse: Float = d != 0 ? 1 / d : 0
            let out = dst + (firstBlock + block) * 34
            out.storeBytes(of: HalfPrecision.f16Bits(from: d), toByteOffset: 0, as: UInt16.self)
            for i in 0..<32 {
                out.storeBytes(of: Int8(truncatingIfNeeded: Int32((x[i] * inverse).rounded(.toNearestOrAwayFromZero))),
                               toByteOffset: 2 + i, as: Int8.self)
            }
        }
    }

    /// Dequantizes Q8_0 blocks `firstBlock..<firstBlock+blocks` of `src`.
    public static func dequantizeQ8_0(_ src: UnsafeRawPointer, firstBlock: Int, blocks: Int, into out: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let base = src + (firstBlock + block) * 34
            let d = HalfPrecision.float(fromF16: base.loadUnaligned(as: UInt16.self))
            for i in 0..<32 { out[block * 32 + i] = d * Float(base.load(fromByteOffset: 2 + i, as: Int8.self)) }
        }
    }

    /// Dequantizes Q4_0 blocks `firstBlock..<firstBlock+blocks` of `src`.
    public static func dequantizeQ4_0(_ src: UnsafeRawPointer, firstBlock: Int, blocks: Int, into out: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let base = src + (firstBlock + block) * 18
            let d = HalfPrecision.float(fromF16: base.loadUnaligned(as: UInt16.self))
            for j in 0..<16 {
                let byte = base.load(fromByteOffset: 2 + j, as: UInt8.self)
                out[block * 32 + j] = Float(Int(byte & 0x0F) - 8) * d
                out[block * 32 + j + 16] = Float(Int(byte >> 4) - 8) * d
            }
        }
    }
}
