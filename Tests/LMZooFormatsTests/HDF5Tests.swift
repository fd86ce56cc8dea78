import Foundation
import LMZooCore
import LMZooTestSupport
import Testing
@testable import LMZooFormats

/// One HDF5 file lmzoo must refuse, with the error it must give.
struct HDF5Refusal: Sendable, CustomStringConvertible {
    let file: String
    let expected: HDF5Error
    var description: String { "\(file): \(expected.rule)" }

    /// The fixtures made by make_hdf5_fixtures.py for each reading rule.
    static let fixtures: [HDF5Refusal] = [
        .init(file: "external_link.h5", expected: .externalLink(link: "/remote", file: "external_target.h5", object: "/w")),
        .init(file: "dangling.h5", expected: .unresolvedSoftLink(link: "/broken", target: "/nowhere")),
        .init(file: "cycle.h5", expected: .linkCycle(link: "/g/loop")),
        .init(file: "external_storage.h5", expected: .externalStorage(dataset: "/w", files: 1)),
        .init(file: "virtual.h5", expected: .virtualDataset(dataset: "/v")),
        .init(file: "lzf.h5", expected: .unsupportedFilter(dataset: "/w", id: 32000, name: "lzf")),
        .init(file: "odd_float.h5", expected: .unsupportedType(
            dataset: "/w", what: "4-byte float (sign 31, exponent 23+8, mantissa 0+23, bias 100)")),
        .init(file: "huge.h5", expected: .shapeOverflow(dataset: "/w")),
        .init(file: "bad_offset.h5", expected: .dataOutsideFile(dataset: "/w", offset: 1 << 40, bytes: 256, fileSize: 2304)),
        .init(file: "legacy_missing.h5", expected: .missingWeight(layer: "dense", weight: "dense/missing:0")),
    ]
}

@Suite struct HDF5Tests {
    /// Tensors of every dtype and awkward shapes (0-d, empty), deterministic pseudo-random bytes.
    static func sampleStore() throws -> TensorStore {
        var store = TensorStore(metadata: ["format": "pt", "note": "ünïcode \"quoted\""])
        var random = SplitMix64(seed: 11)
        let shapes: [[Int]] = [[3, 5], [7], [], [0], [2, 0, 3], [1, 1, 1, 4]]
        for (i, dtype) in DType.elementTypes.enumerated() {
            let tensor = try Tensor(zeros: dtype, shape: shapes[i % shapes.count])
            if let bytes = tensor.buffer.mutableBytes {
                for j in 0..<tensor.byteCount { bytes[j] = UInt8(truncatingIfNeeded: random.next()) }
                if dtype == .bool { for j in 0..<tensor.byteCount { bytes[j] &= 1 } }
            }
            try store.add("layer.\(i).\(dtype.rawValue.lowercased())", tensor)
        }
        return store
    }

    func error(reading path: String, limits: HDF5Limits = HDF5Limits()) -> (any Error)? {
        do {
            _ = try HDF5Reader.read(path: path, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func h5pyWrittenFileReadsIdentically() throws {
        let store = try HDF5Reader.read(path: Fixtures.path("hdf5/generic.h5"))
        let differences = try Fixtures.differences(store, expected: "hdf5/generic.json")
        #expect(differences.isEmpty, "\(differences)")
        // Contiguous little-endian datasets are views of the mapped file; the rest were read.
        for name in ["model.encoder.layer0.weight", "ints.u64", "flags", "scalar", "bf16.keras", "bf16.uint16"] {
            #expect(try store.tensor(name).isMapped, "\(name) should be a zero-copy view")
        }
        for name in ["compressed.gzip", "big_endian.i32", "big_endian.f16", "compact"] {
            #expect(try !store.tensor(name).isMapped, "\(name) cannot be a view")
        }
        // Two links to one dataset are one tensor.
        #expect(try store.tensor("links.hard").isSameView(as: store.tensor("model.decoder.w")))
        #expect(try store.tensor("links.soft").isSameView(as: store.tensor("scalar")))
    }

    @Test func nonNumericDatasetsAreSkippedAndListed() throws {
        let store = try HDF5Reader.read(path: Fixtures.path("hdf5/generic.h5"))
        #expect(store["text"] == nil)
        #expect(store.metadata[HDF5Reader.skippedKey] == #"{"/text":"string"}"#)
    }

    @Test func roundTripIsBitExactForEveryDTypeAndShape() throws {
        let scratch = try Fixtures.scratchDirectory("h5-roundtrip")
        defer { Fixtures.removeScratch(scratch) }
        let original = try HDF5Tests.sampleStore()
        let path = scratch + "/model.h5"
        let summary = try HDF5Writer.write(original, to: path)
        #expect(summary.tensorCount == original.count)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == summary.byteCount)
        let reread = try HDF5Reader.read(path: path)
        #expect(reread.metadata == original.metadata)
        #expect(reread.names == original.names, "creation order is kept")
        for (name, tensor) in original.entries {
            #expect(try reread.tensor(name).isBitwiseEqual(to: tensor), "\(name)")
            #expect(try reread.tensor(name).isMapped || tensor.byteCount == 0, "\(name) should be a view")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch) == ["model.h5"], "no temporary file left")
    }

    @Test func rewritingTheFixtureKeepsTensorsAndGroupAttributes() throws {
        let scratch = try Fixtures.scratchDirectory("h5-rewrite")
        defer { Fixtures.removeScratch(scratch) }
        let original = try HDF5Reader.read(path: Fixtures.path("hdf5/generic.h5"))
        let path = scratch + "/again.h5"
        try HDF5Writer.write(original, to: path)
        let reread = try HDF5Reader.read(path: path)
        var metadata = original.metadata
        metadata.removeValue(forKey: HDF5Reader.skippedKey)
        #expect(reread.metadata == metadata)
        #expect(reread.names == original.names)
        for (name, tensor) in original.entries {
            #expect(try reread.tensor(name).isBitwiseEqual(to: tensor), "\(name)")
        }
    }

    @Test func dtypeConversionOnWriteGoesThroughHyperslabs() throws {
        let scratch = try Fixtures.scratchDirectory("h5-dtype")
        defer { Fixtures.removeScratch(scratch) }
        var store = TensorStore()
        // 3 x 300 x 1000 values: more than one conversion chunk, split along the middle axis.
        let count = 3 * 300 * 1000
        try store.add("big", try Tensor(shape: [3, 300, 1000], floats: (0..<count).map { Float($0) * 0.001 - 17 }))
        try store.add("long", try Tensor(shape: [600_000], floats: (0..<600_000).map { Float($0).squareRoot() }))
        try store.add("scalar", try Tensor(shape: [], floats: [0.1]))
        try store.add("empty", try Tensor(zeros: .f32, shape: [4, 0]))
        try store.add("ids", try Tensor(zeros: .i64, shape: [3]))
        for target in [DType.f16, .bf16, .f64] {
            let path = scratch + "/\(target.rawValue).h5"
            try HDF5Writer.write(store, to: path, options: WriteOptions(dtype: target))
            let reread = try HDF5Reader.read(path: path)
            #expect(try reread.tensor("ids").dtype == .i64)
            for name in ["big", "long", "scalar", "empty"] {
                let expected = try store.tensor(name).converted(to: target)
                #expect(try reread.tensor(name).isBitwiseEqual(to: expected), "\(name) as \(target)")
            }
        }
    }

    @Test func tiedTensorsWrittenOnceBecomeHardLinks() throws {
        let scratch = try Fixtures.scratchDirectory("h5-tied")
        defer { Fixtures.removeScratch(scratch) }
        let embedding = try Tensor(shape: [2, 2], floats: [1, 2, 3, 4])
        var store = TensorStore()
        try store.add("transformer.wte.weight", embedding)
        try store.add("lm_head.weight", embedding)
        let path = scratch + "/tied.h5"
        try HDF5Writer.write(store, to: path, options: WriteOptions(sharedTensors: .writeOnce))
        let reread = try HDF5Reader.read(path: path)
        #expect(try reread.tensor("lm_head.weight").isSameView(as: reread.tensor("transformer.wte.weight")))
        #expect(try reread.tensor("lm_head.weight").floats() == [1, 2, 3, 4])
    }

    @Test(arguments: HDF5Refusal.fixtures)
    func refusedFileGivesTypedError(_ refusal: HDF5Refusal) throws {
        let path = Fixtures.path("hdf5/" + refusal.file)
        let error = try #require(error(reading: path) as? LocatedError, "\(refusal.file): accepted")
        #expect(error.path == path)
        #expect(error.underlying as? HDF5Error == refusal.expected)
    }

    @Test func filesLibHDF5CannotOpenAreRefused() throws {
        let scratch = try Fixtures.scratchDirectory("h5-open")
        defer { Fixtures.removeScratch(scratch) }
        let garbage = scratch + "/garbage.h5"
        try Data("this is not an HDF5 file at all".utf8).write(to: URL(fileURLWithPath: garbage))
        let truncated = scratch + "/truncated.h5"
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("hdf5/generic.h5")))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: truncated))
        for path in [garbage, truncated] {
            let error = try #require(error(reading: path) as? LocatedError)
            guard case .cannotOpen(let message)? = error.underlying as? HDF5Error else {
                Issue.record("\(path): \(error)")
                continue
            }
            #expect(!message.isEmpty)
        }
    }

    @Test func sizeAndCountLimitsAreChecked() throws {
        let path = Fixtures.path("hdf5/generic.h5")
        var small = HDF5Limits()
        small.maxDatasetBytes = 1000
        #expect((error(reading: path, limits: small) as? LocatedError)?.underlying as? HDF5Error
            == .datasetTooLarge(dataset: "/compressed/gzip", bytes: 1536, limit: 1000))
        var bomb = HDF5Limits()
        bomb.bombFloorBytes = 100
        bomb.maxExpansion = 1
        guard case .compressionBomb(let dataset, 1536, _)? = (error(reading: path, limits: bomb) as? LocatedError)?.underlying as? HDF5Error else {
            Issue.record("a dataset expanding more than the limit was accepted")
            return
        }
        #expect(dataset == "/compressed/gzip")
        var few = HDF5Limits()
        few.maxObjects = 5
        #expect((error(reading: path, limits: few) as? LocatedError)?.underlying as? HDF5Error == .tooManyObjects(limit: 5))
    }

    @Test func writerRefusesNamesThatAreNotPaths() throws {
        let scratch = try Fixtures.scratchDirectory("h5-names")
        defer { Fixtures.removeScratch(scratch) }
        let out = scratch + "/out.h5"
        try Data("previous".utf8).write(to: URL(fileURLWithPath: out))
        func refusal(_ names: [String]) throws -> HDF5Error? {
            var store = TensorStore()
            for name in names { try store.add(name, try Tensor(shape: [1], floats: [1])) }
            do {
                try HDF5Writer.write(store, to: out)
                return nil
            } catch let error as LocatedError {
                return error.underlying as? HDF5Error
            }
        }
        #expect(try refusal(["a.b", "a.b.c"]) == .nameConflict(tensor: "a.b", other: "a.b.c"))
        #expect(try refusal(["a.b.c", "a.b"]) == .nameConflict(tensor: "a.b", other: "a.b.c"))
        #expect(try refusal(["a..b"]) == .invalidName("a..b"))
        #expect(try refusal(["a/b"]) == .invalidName("a/b"))
        #expect(try refusal([".a"]) == .invalidName(".a"))
        // Nothing was replaced and no temporary file is left behind.
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "previous")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch) == ["out.h5"])
    }

    @Test func formatsAreChosenBySignatureAndExtension() throws {
        #expect(try CheckpointFormats.forReading(path: Fixtures.path("hdf5/generic.h5")).name == "h5")
        #expect(try CheckpointFormats.forReading(path: Fixtures.path("hdf5/model.weights.h5")).name == "h5")
        #expect(try CheckpointFormats.forReading(path: Fixtures.path("hdf5/model.keras")).name == "keras")
        #expect(try CheckpointFormats.forWriting(path: "/tmp/x.hdf5", explicit: nil).name == "h5")
        #expect(try CheckpointFormats.forWriting(path: "/tmp/x.keras", explicit: nil).name == "keras")
        let checkpoint = try Checkpoint.open(Fixtures.path("hdf5/generic.h5"))
        #expect(checkpoint.format == "h5" && checkpoint.tensors.count == 24)
    }

    /// h5py reads what lmzoo writes. Needs LMZOO_PYTHON (a Python with h5py and numpy); .ci/run
    /// provides it, so in CI this never skips.
    @Test(.enabled(if: Fixtures.python != nil || Fixtures.isCI, "set LMZOO_PYTHON to a Python with h5py+numpy"))
    func h5pyReadsWhatLMZooWrites() throws {
        let python = try #require(Fixtures.python, "CI must set LMZOO_PYTHON")
        let scratch = try Fixtures.scratchDirectory("h5-interop")
        defer { Fixtures.removeScratch(scratch) }
        let store = try HDF5Tests.sampleStore()
        let out = scratch + "/lmzoo.h5"
        try HDF5Writer.write(store, to: out)
        var tensors = JSONObject()
        for (name, tensor) in store.entries {
            let hex = tensor.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
            tensors[name] = ["dtype": .string(tensor.dtype.rawValue), "shape": .array(tensor.shape.map { .int($0) }), "hex": .string(hex)]
        }
        let metadata = JSONObject(store.metadata.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })
        let expected = scratch + "/expected.json"
        try JSONValue.object(JSONObject([("metadata", .object(metadata)), ("tensors", .object(tensors))])).compactText
            .write(toFile: expected, atomically: true, encoding: .utf8)
        let result = try runProcess(python, [Fixtures.path("check_hdf5_interop.py"), out, expected])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }
}
