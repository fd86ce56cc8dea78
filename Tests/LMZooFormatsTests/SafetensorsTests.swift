import Foundation
import LMZooCore
import LMZooTestSupport
import Testing
@testable import LMZooFormats

@Suite struct SafetensorsTests {
    /// Tensors of every dtype and awkward shapes, with deterministic pseudo-random bytes.
    static func sampleStore() throws -> TensorStore {
        var store = TensorStore(metadata: ["format": "pt", "note": "ünïcode \"quoted\""])
        var random = SplitMix64(seed: 99)
        let shapes: [[Int]] = [[3, 5], [7], [], [0], [2, 0, 3], [1, 1, 1, 4]]
        for (i, dtype) in DType.elementTypes.enumerated() {
            let shape = shapes[i % shapes.count]
            let tensor = try Tensor(zeros: dtype, shape: shape)
            if let bytes = tensor.buffer.mutableBytes {
                for j in 0..<tensor.byteCount { bytes[j] = UInt8(truncatingIfNeeded: random.next()) }
                if dtype == .bool { for j in 0..<tensor.byteCount { bytes[j] &= 1 } }
            }
            try store.add("layer.\(i).\(dtype.rawValue.lowercased())", tensor)
        }
        return store
    }

    @Test func pythonWrittenFileReadsIdentically() throws {
        let store = try SafetensorsReader.read(path: Fixtures.path("safetensors/python_mixed.safetensors"))
        let differences = try Fixtures.differences(store, expected: "safetensors/python_mixed.json")
        #expect(differences.isEmpty, "\(differences)")
        for (name, tensor) in store.entries { #expect(tensor.isMapped, "\(name) should be a zero-copy view") }
    }

    @Test func rewritingPythonsFileIsByteIdentical() throws {
        let scratch = try Fixtures.scratchDirectory("st-rewrite")
        defer { Fixtures.removeScratch(scratch) }
        let source = Fixtures.path("safetensors/python_mixed.safetensors")
        let out = scratch + "/rewritten.safetensors"
        try SafetensorsWriter.write(try SafetensorsReader.read(path: source), to: out)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: source)))
    }

    @Test func roundTripIsBitExactForEveryDTypeAndShape() throws {
        let scratch = try Fixtures.scratchDirectory("st-roundtrip")
        defer { Fixtures.removeScratch(scratch) }
        let original = try SafetensorsTests.sampleStore()
        let path = scratch + "/model.safetensors"
        let summary = try SafetensorsWriter.write(original, to: path)
        #expect(summary.tensorCount == original.count)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == summary.byteCount)
        let reread = try SafetensorsReader.read(path: path)
        #expect(reread.metadata == original.metadata)
        #expect(Set(reread.names) == Set(original.names))
        for (name, tensor) in original.entries {
            #expect(try reread.tensor(name).isBitwiseEqual(to: tensor), "\(name)")
        }
        // Header is 8-byte aligned as the reference writer does, and data is sorted by dtype then name.
        let header = try SafetensorsReader.readHeader(path: path)
        #expect(header.dataStart % 8 == 0)
        let ranks = header.entries.map(\.dtype.safetensorsRank)
        #expect(ranks == ranks.sorted(by: >))
    }

    @Test func dtypeConversionOnWriteRoundsFloatsAndKeepsIntegers() throws {
        let scratch = try Fixtures.scratchDirectory("st-dtype")
        defer { Fixtures.removeScratch(scratch) }
        var store = TensorStore()
        let values: [Float] = [0.1, -3.75, 70000, 1e-7, .nan]
        try store.add("w", try Tensor(shape: [5], floats: values))
        try store.add("ids", try Tensor(zeros: .i64, shape: [3]))
        for target in [DType.f16, .bf16, .f64] {
            let path = scratch + "/\(target.rawValue).safetensors"
            try SafetensorsWriter.write(store, to: path, options: WriteOptions(dtype: target))
            let reread = try SafetensorsReader.read(path: path)
            #expect(try reread.tensor("ids").dtype == .i64)
            let w = try reread.tensor("w")
            #expect(w.dtype == target)
            let expected = try store.tensor("w").converted(to: target)
            #expect(w.isBitwiseEqual(to: expected))
        }
    }

    @Test func tiedTensorsAreDuplicatedOrWrittenOnceByRule() throws {
        let scratch = try Fixtures.scratchDirectory("st-tied")
        defer { Fixtures.removeScratch(scratch) }
        let embedding = try Tensor(shape: [2, 2], floats: [1, 2, 3, 4])
        var store = TensorStore()
        try store.add("transformer.wte.weight", embedding)
        try store.add("lm_head.weight", embedding)

        let duplicated = scratch + "/dup.safetensors"
        try SafetensorsWriter.write(store, to: duplicated, options: WriteOptions(sharedTensors: .duplicate))
        let dup = try SafetensorsReader.readHeader(path: duplicated)
        #expect(dup.entries.map(\.name).sorted() == ["lm_head.weight", "transformer.wte.weight"])
        #expect(dup.metadata.isEmpty)

        let once = scratch + "/once.safetensors"
        try SafetensorsWriter.write(store, to: once, options: WriteOptions(sharedTensors: .writeOnce))
        let header = try SafetensorsReader.readHeader(path: once)
        #expect(header.entries.map(\.name) == ["transformer.wte.weight"])
        #expect(header.metadata[SafetensorsReader.aliasesKey] == #"{"lm_head.weight":"transformer.wte.weight"}"#)
        let reread = try SafetensorsReader.read(path: once)
        let head = try reread.tensor("lm_head.weight")
        #expect(head.isSameView(as: try reread.tensor("transformer.wte.weight")))
        #expect(head.floats() == [1, 2, 3, 4])
        #expect(reread.metadata.isEmpty)
    }

    @Test(arguments: MalformedSafetensors.all)
    func malformedFileGivesTypedError(_ malformed: MalformedSafetensors) throws {
        let (path, error) = try Fixtures.locatedError(reading: malformed.bytes, as: "bad.safetensors") { _ = try SafetensorsReader.read(path: $0) }
        let located = try #require(error, "\(malformed.rule): accepted")
        #expect(located.path == path)
        #expect(located.underlying as? SafetensorsError == malformed.expected)
        #expect((located.underlying as? SafetensorsError)?.rule == malformed.rule)
    }

    @Test func shardedCheckpointReadsEveryShard() throws {
        let store = try ShardedSafetensors.read(indexPath: Fixtures.path("safetensors/sharded/model.safetensors.index.json"))
        let expected = try Fixtures.expectedTensors("safetensors/sharded.json")
        #expect(Set(store.names) == Set(expected.tensors.keys))
        for (name, tensor) in store.entries {
            #expect(tensor.withUnsafeBytes { Array($0) } == expected.tensors[name]?.bytes, "\(name)")
        }
        let checkpoint = try Checkpoint.open(Fixtures.path("safetensors/sharded"))
        #expect(checkpoint.format == "safetensors (sharded)")
        #expect(checkpoint.architecture == "gpt2")
        #expect(checkpoint.files.count == 3)
    }

    /// Copies the sharded fixture, lets `edit` break it, and returns the error reading it.
    func shardedError(_ edit: (String) throws -> Void) throws -> ShardIndexError? {
        let scratch = try Fixtures.scratchDirectory("st-shard")
        defer { Fixtures.removeScratch(scratch) }
        let copy = scratch + "/sharded"
        try FileManager.default.copyItem(atPath: Fixtures.path("safetensors/sharded"), toPath: copy)
        try edit(copy)
        do {
            _ = try Checkpoint.open(copy)
            return nil
        } catch let error as LocatedError {
            return error.underlying as? ShardIndexError
        }
    }

    @Test func shardIndexProblemsAreNamed() throws {
        #expect(try shardedError { try FileManager.default.removeItem(atPath: $0 + "/model-00002-of-00002.safetensors") }
            == .missingShard("model-00002-of-00002.safetensors"))
        #expect(try shardedError { dir in
            let index = #"{"weight_map":{"wte.weight":"model-00001-of-00002.safetensors","ghost":"model-00001-of-00002.safetensors"}}"#
            try index.write(toFile: dir + "/model.safetensors.index.json", atomically: true, encoding: .utf8)
        } == .tensorNotInShard("ghost", shard: "model-00001-of-00002.safetensors"))
        #expect(try shardedError { dir in
            try #"{"weight_map":{"w":"../escape.safetensors"}}"#.write(toFile: dir + "/model.safetensors.index.json", atomically: true, encoding: .utf8)
        } == .badShardName("w", "../escape.safetensors"))
        #expect(try shardedError { dir in
            try #"{"metadata":{}}"#.write(toFile: dir + "/model.safetensors.index.json", atomically: true, encoding: .utf8)
        } == .noWeightMap)
    }

    /// Python's reference `safetensors` reads what lmzoo writes. Needs LMZOO_PYTHON (a Python
    /// with `safetensors` and `numpy`); .ci/run provides it, so in CI this never skips.
    @Test(.enabled(if: Fixtures.python != nil || Fixtures.isCI, "set LMZOO_PYTHON to a Python with safetensors+numpy"))
    func pythonReadsWhatLMZooWrites() throws {
        let python = try #require(Fixtures.python, "CI must set LMZOO_PYTHON")
        let scratch = try Fixtures.scratchDirectory("st-interop")
        defer { Fixtures.removeScratch(scratch) }
        // lmzoo writes the fixture's tensors (converted through f64 and back to prove it rewrites data).
        let store = try SafetensorsReader.read(path: Fixtures.path("safetensors/python_mixed.safetensors"))
        var rebuilt = TensorStore(metadata: store.metadata)
        for (name, tensor) in store.entries {
            let copy = tensor.dtype.isFloatingPoint ? try tensor.converted(to: .f64).converted(to: tensor.dtype) : tensor
            try rebuilt.add(name, copy)
        }
        let out = scratch + "/lmzoo.safetensors"
        try SafetensorsWriter.write(rebuilt, to: out)
        let result = try runProcess(python, [Fixtures.path("check_safetensors_interop.py"), out, Fixtures.path("safetensors/python_mixed.json")])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }
}
