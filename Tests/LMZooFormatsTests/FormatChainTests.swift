import Foundation
import LMZooCore
import LMZooTestSupport
import Testing
@testable import LMZooFormats

/// Conversions through every container in turn must not change a single bit.
@Suite struct FormatChainTests {
    @Test func safetensorsThroughH5NpzGGUFTorchAndBackIsBitExact() throws {
        let scratch = try Fixtures.scratchDirectory("chain")
        defer { Fixtures.removeScratch(scratch) }
        let original = try Checkpoint.open(Fixtures.path("hf/gpt2-tiny")).tensors
        var store = original
        for (format, ext) in [("h5", "h5"), ("npz", "npz"), ("gguf", "gguf"), ("torch", "bin"), ("safetensors", "safetensors")] {
            let path = scratch + "/step." + ext
            let writer = try CheckpointFormats.named(format)
            _ = try writer.write(store, to: path, options: WriteOptions())
            store = try CheckpointFormats.forReading(path: path).read(path: path)
            #expect(Set(store.names) == Set(original.names), "\(format)")
            for (name, tensor) in original.entries {
                #expect(store[name]?.isBitwiseEqual(to: tensor) == true, "\(format): \(name)")
            }
        }
    }

    @Test func q8_0RoundTripStaysWithinLlamaCppError() throws {
        let scratch = try Fixtures.scratchDirectory("q8")
        defer { Fixtures.removeScratch(scratch) }
        let original = try Checkpoint.open(Fixtures.path("hf/gpt2-tiny")).tensors
        let path = scratch + "/q8.gguf"
        _ = try GGUFFormat().write(original, to: path, options: WriteOptions(dtype: .q8_0))
        let quantized = try GGUFReader.read(path: path)
        var blocksChecked = 0
        for (name, tensor) in original.entries {
            let back = try quantized.tensor(name)
            guard back.dtype == .q8_0 else {
                #expect(back.isBitwiseEqual(to: tensor), "\(name) should stay exact")
                continue
            }
            let (x, y) = (tensor.floats(), back.floats())
            for block in stride(from: 0, to: x.count, by: 32) {
                let amax = x[block..<block + 32].map(abs).max()!
                // q = round(x / d) with d = amax / 127 stored as f16: |x - d q| <= d / 2, plus d's rounding.
                let bound = amax / 127 * 0.5 + amax * 0x1p-10
                for i in block..<block + 32 { #expect(abs(x[i] - y[i]) <= bound, "\(name)[\(i)]") }
                blocksChecked += 1
            }
        }
        #expect(blocksChecked > 100)
    }
}
