import Foundation
import LMZooCore
import LMZooTestSupport
import Testing
@testable import LMZooFormats

/// Builds small torch-like archives and pickles for the malformed-input cases.
enum TorchArchiveBuilder {
    struct TensorSpec {
        var name = "t"
        var storageType = "FloatStorage"
        var key = "0"
        var numel = 4
        var offset = 0
        var shape = [4]
        var stride = [1]
    }

    /// An OrderedDict of `_rebuild_tensor_v2` calls, as torch.save writes it.
    static func statePickle(_ tensors: [TensorSpec]) -> [UInt8] {
        var out = PickleEmitter()
        out.reduce { out in
            out.global("collections", "OrderedDict")
            out.tuple(count: 0) { _ in }
        }
        for spec in tensors {
            out.string(spec.name)
            out.reduce { out in
                out.global("torch._utils", "_rebuild_tensor_v2")
                out.tuple(count: 6) { out in
                    out.tuple(count: 5) { out in
                        out.string("storage")
                        out.global("torch", spec.storageType)
                        out.string(spec.key)
                        out.string("cpu")
                        out.int(spec.numel)
                    }
                    out.persistentID()
                    out.int(spec.offset)
                    out.tuple(count: spec.shape.count) { out in for size in spec.shape { out.int(size) } }
                    out.tuple(count: spec.stride.count) { out in for stride in spec.stride { out.int(stride) } }
                    out.bool(false)
                    out.reduce { out in
                        out.global("collections", "OrderedDict")
                        out.tuple(count: 0) { _ in }
                    }
                }
            }
            out.setItem()
        }
        out.stop()
        return out.bytes
    }

    /// A zip of `members` (name -> bytes) in order.
    static func archive(_ members: [(String, [UInt8])], at path: String) throws {
        let zip = try ZipWriter(destination: path)
        for (name, bytes) in members { try zip.addEntry(name: name, bytes: bytes, alignment: 64) }
        try zip.finish()
    }

    /// `archive/data.pkl` + `archive/data/<key>` records (+ byteorder/version).
    static func torchArchive(pickle: [UInt8], records: [String: [UInt8]] = ["0": [UInt8](repeating: 0, count: 16)],
                             byteorder: String = "little", version: String = "3\n", at path: String) throws {
        var members: [(String, [UInt8])] = [("archive/data.pkl", pickle), ("archive/byteorder", Array(byteorder.utf8))]
        for key in records.keys.sorted() { members.append(("archive/data/\(key)", records[key]!)) }
        members.append(("archive/version", Array(version.utf8)))
        try archive(members, at: path)
    }
}

/// One malformed input per rule, with the error it must produce.
struct MalformedTorch: Sendable, CustomStringConvertible {
    let rule: String
    /// Writes the file at the given path.
    let make: @Sendable (String) throws -> Void
    let expected: TorchCheckpointError
    var description: String { rule }

    static func pickle(_ rule: String, _ bytes: [UInt8], _ expected: TorchCheckpointError) -> MalformedTorch {
        MalformedTorch(rule: rule, make: { try TorchArchiveBuilder.torchArchive(pickle: bytes, at: $0) }, expected: expected)
    }

    static func tensors(_ rule: String, _ specs: [TorchArchiveBuilder.TensorSpec], records: [String: [UInt8]] = ["0": .init(repeating: 0, count: 16)],
                        _ expected: TorchCheckpointError) -> MalformedTorch {
        MalformedTorch(rule: rule, make: { try TorchArchiveBuilder.torchArchive(pickle: TorchArchiveBuilder.statePickle(specs), records: records, at: $0) },
                       expected: expected)
    }

    static let good = TorchArchiveBuilder.statePickle([.init()])
    static func str(_ text: String) -> [UInt8] { [0x8C, UInt8(text.utf8.count)] + Array(text.utf8) }

    static let all: [MalformedTorch] = [
        pickle("truncated pickle", Array(good.prefix(good.count / 2)), .truncatedPickle(offset: 78)),
        pickle("no STOP", Array(good.dropLast()), .truncatedPickle(offset: good.count - 1)),
        pickle("unknown opcode (INST)", [0x80, 2, 0x69, 0x2E], .unsupportedOpcode(0x69, offset: 2)),
        pickle("protocol", [0x80, 1, 0x4E, 0x2E], .unsupportedProtocol(1, offset: 0)),
        pickle("STACK_GLOBAL builtins.eval", [0x80, 4] + str("builtins") + str("eval") + [0x93, 0x2E],
               .disallowedGlobal("builtins.eval", offset: 18)),
        pickle("GLOBAL os.system", [0x80, 2] + Array("cos\nsystem\n".utf8) + [0x2E], .disallowedGlobal("os.system", offset: 2)),
        pickle("complex storage", [0x80, 2] + Array("ctorch\nComplexFloatStorage\n".utf8) + [0x2E],
               .unsupportedTorchType("torch.ComplexFloatStorage", offset: 2)),
        pickle("stack underflow", [0x80, 2, 0x52, 0x2E], .stackUnderflow(opcode: "REDUCE", offset: 2)),
        pickle("underflow across a MARK", [0x80, 2, 0x5D, 0x28, 0x61, 0x2E], .stackUnderflow(opcode: "APPEND", offset: 4)),
        pickle("missing MARK", [0x80, 2, 0x7D, 0x75, 0x2E], .missingMark(opcode: "SETITEMS", offset: 3)),
        pickle("missing memo", [0x80, 2, 0x68, 5, 0x2E], .missingMemo(index: 5, offset: 2)),
        pickle("MARK nesting limit", [0x80, 2] + [UInt8](repeating: 0x28, count: 5000), .limitExceeded(what: "MARK nesting", limit: 4096, offset: 4098)),
        pickle("string length vs remaining bytes", [0x80, 2, 0x58, 0xFF, 0xFF, 0xFF, 0x7F, 0x61], .truncatedPickle(offset: 2)),
        pickle("GLOBAL name length", [0x80, 2, 0x63] + [UInt8](repeating: 0x61, count: 2000) + [0x0A], .limitExceeded(what: "GLOBAL name length", limit: 1024, offset: 2)),
        pickle("invalid UTF-8", [0x80, 2, 0x58, 2, 0, 0, 0, 0xFF, 0xFE, 0x2E], .invalidUTF8(offset: 2)),
        pickle("integer too large", [0x80, 2, 0x8A, 9] + [UInt8](repeating: 1, count: 9) + [0x2E], .integerTooLarge(offset: 2)),
        pickle("SETITEM on a list", [0x80, 2, 0x5D, 0x4B, 1, 0x4B, 2, 0x73, 0x2E],
               .typeMismatch(opcode: "SETITEM", expected: "a dict", got: "list", offset: 7)),
        pickle("REDUCE of a storage class", [0x80, 2] + Array("ctorch\nFloatStorage\n".utf8) + [0x29, 0x52, 0x2E],
               .typeMismatch(opcode: "REDUCE", expected: "a callable global", got: "torch.FloatStorage", offset: 23)),
        pickle("rebuild arguments", [0x80, 2] + Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8) + [0x4B, 1, 0x85, 0x52, 0x2E],
               .invalidArguments(function: "torch._utils._rebuild_tensor_v2", reason: "takes 6...7 arguments, got 1", offset: 38)),
        pickle("persistent id", [0x80, 2] + str("module") + [0x85, 0x51, 0x2E],
               .invalidPersistentID("a 1-tuple not starting with 'storage'", offset: 11)),
        pickle("root is a state dict", [0x80, 2, 0x4B, 7, 0x2E], .notAStateDict("int")),
        MalformedTorch(rule: "not a torch archive", make: { try TorchArchiveBuilder.archive([("weights/x.txt", [1])], at: $0) },
                       expected: .notATorchArchive),
        MalformedTorch(rule: "two data.pkl", make: { try TorchArchiveBuilder.archive([("a/data.pkl", good), ("b/data.pkl", good)], at: $0) },
                       expected: .ambiguousArchive(prefixes: ["a", "b"])),
        MalformedTorch(rule: "TorchScript", make: { try TorchArchiveBuilder.archive([("m/data.pkl", good), ("m/constants.pkl", good)], at: $0) },
                       expected: .torchScriptArchive),
        MalformedTorch(rule: "byteorder", make: { try TorchArchiveBuilder.torchArchive(pickle: good, byteorder: "middle", at: $0) },
                       expected: .unsupportedByteOrder("middle")),
        MalformedTorch(rule: "version", make: { try TorchArchiveBuilder.torchArchive(pickle: good, version: "three", at: $0) },
                       expected: .invalidVersion("three")),
        tensors("storage key", [.init(key: "../0")], .invalidStorageKey("../0")),
        tensors("missing record", [.init(key: "7")], .missingRecord("archive/data/7")),
        tensors("record size", [.init(numel: 5)], .storageSizeMismatch(record: "archive/data/0", expected: 20, actual: 16)),
        tensors("one dtype per storage", [.init(), .init(name: "u", storageType: "IntStorage")], .storageDTypeConflict(record: "archive/data/0")),
        tensors("view overflow", [.init(shape: [1 << 40, 1 << 40], stride: [1, 1])],
                .invalidTensorView(tensor: "t", reason: "shape [1099511627776, 1099511627776] overflows")),
        tensors("offset past the storage", [.init(offset: 2, shape: [3])], .storageOutOfBounds(tensor: "t", needed: 20, available: 16)),
        tensors("strides past the storage", [.init(shape: [2, 2], stride: [3, 1])], .storageOutOfBounds(tensor: "t", needed: 20, available: 16)),
    ]
}

@Suite struct TorchTests {
    static let fixtures = ["tiny_gpt2.bin", "mixed.pt", "nested.pt", "proto4.pt", "bigendian.pt"]

    static func underlying(_ body: () throws -> Void) -> (any Error)? {
        do { try body() } catch let error as LocatedError { return error.underlying } catch { return error }
        return nil
    }

    @Test(arguments: fixtures)
    func torchWrittenFileReadsIdentically(_ file: String) throws {
        let store = try TorchReader.read(path: Fixtures.path("torch/\(file)"))
        let jsonName = "torch/" + file.split(separator: ".")[0] + ".json"
        let order = try JSONFile.read(path: Fixtures.path(jsonName))["tensors"]!.objectValue!.entries.map(\.key)
        #expect(store.names == order)
        let differences = try Fixtures.differences(store, expected: jsonName)
        #expect(differences.isEmpty, "\(differences)")
        let aliases = try JSONFile.read(path: Fixtures.path(jsonName))["aliases"]!.arrayValue!.map { pair in
            pair.arrayValue!.map { $0.stringValue! }
        }
        #expect(store.aliases().map { [$0.alias, $0.original] } == aliases)
    }

    @Test func tiedGPT2WeightsComeBackAsOneZeroCopyView() throws {
        let store = try TorchReader.read(path: Fixtures.path("torch/tiny_gpt2.bin"))
        #expect(store.aliases().map(\.alias) == ["lm_head.weight"])
        let head = try store.tensor("lm_head.weight"), wte = try store.tensor("transformer.wte.weight")
        #expect(head.isSameView(as: wte))
        #expect(store.entries.allSatisfy { $0.tensor.isMapped })
    }

    @Test func stridedViewsAreMaterializedAndOffsetsRespected() throws {
        let store = try TorchReader.read(path: Fixtures.path("torch/mixed.pt"))
        let base = (0..<24).map { Float($0) / 4 } // (4, 6)
        let transposed = try store.tensor("transposed")
        #expect(transposed.shape == [6, 4] && !transposed.isMapped)
        #expect(transposed.floats() == (0..<6).flatMap { c in (0..<4).map { r in base[r * 6 + c] } })
        #expect(try store.tensor("column").floats() == (0..<4).map { base[$0 * 6 + 2] })
        #expect(try store.tensor("expanded").floats() == [0, 1, 2, 0, 1, 2])
        let slice = try store.tensor("slice")
        #expect(slice.isMapped && slice.floats() == [3, 4, 5, 6])
        #expect(try store.tensor("scalar").shape == [] && store.tensor("scalar").floats() == [2.5])
        #expect(try store.tensor("empty").shape == [0, 4] && store.tensor("empty").byteCount == 0)
    }

    @Test func maliciousPickleIsRefusedNamingTheGlobalAndNothingRuns() throws {
        try? FileManager.default.removeItem(atPath: "/tmp/lmzoo-pwned")
        let path = Fixtures.path("torch/malicious.pt")
        #expect(throws: LocatedError.self) { try Checkpoint.open(path) }
        let error = Self.underlying { _ = try TorchReader.read(path: path) }
        #expect(error as? TorchCheckpointError == .disallowedGlobal("posix.system", offset: 18))
        #expect("\(error!)".contains("posix.system"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/lmzoo-pwned"))
    }

    @Test func legacyFormatIsRefusedWithAHint() throws {
        let path = Fixtures.path("torch/legacy.pt")
        #expect(try CheckpointFormats.forReading(path: path).name == "torch")
        let error = Self.underlying { _ = try TorchReader.read(path: path) }
        #expect(error as? TorchCheckpointError == .legacyFormat)
        #expect("\(error!)".contains("legacy PyTorch format; re-save with torch>=1.6"))
    }

    @Test(arguments: MalformedTorch.all)
    func malformedInputGivesTypedError(_ malformed: MalformedTorch) throws {
        let scratch = try Fixtures.scratchDirectory("torch-bad")
        defer { Fixtures.removeScratch(scratch) }
        let path = scratch + "/bad.pt"
        try malformed.make(path)
        let error = Self.underlying { _ = try TorchReader.read(path: path) }
        #expect(error as? TorchCheckpointError == malformed.expected, "\(String(describing: error))")
    }

    @Test func sizeLimitsStopHostileStructuresWithoutCrashing() throws {
        let scratch = try Fixtures.scratchDirectory("torch-limits")
        defer { Fixtures.removeScratch(scratch) }
        func refusal(_ pickle: [UInt8], limits: TorchReadLimits = TorchReadLimits()) throws -> TorchCheckpointError? {
            let path = scratch + "/x.pt"
            try TorchArchiveBuilder.torchArchive(pickle: pickle, at: path)
            return Self.underlying { _ = try TorchReader.read(path: path, limits: limits) } as? TorchCheckpointError
        }
        // 1,000,000 nested tuples: refused by the nesting limit, and released without deep recursion.
        let deep = try refusal([0x80, 2, 0x4E] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E])
        #expect(deep == .limitExceeded(what: "nesting of dicts and lists", limit: 64, offset: -1))
        // A list that contains itself.
        let cycle = try refusal([0x80, 2, 0x5D, 0x71, 0, 0x68, 0, 0x61, 0x2E])
        #expect(cycle == .limitExceeded(what: "nesting of dicts and lists", limit: 64, offset: -1))
        // "Billion laughs": 40 levels of a dict holding the level below twice (2^40 leaves).
        var laughs: [UInt8] = [0x80, 2, 0x4E, 0x71, 0]
        for level in 0..<40 {
            laughs += [0x7D, 0x28] + MalformedTorch.str("a") + [0x68, UInt8(level)] + MalformedTorch.str("b") + [0x68, UInt8(level), 0x75, 0x71, UInt8(level + 1)]
        }
        laughs.append(0x2E)
        var limits = TorchReadLimits()
        limits.maxFlattenedEntries = 10_000
        #expect(try refusal(laughs, limits: limits) == .limitExceeded(what: "flattened entries", limit: 10_000, offset: -1))
        // Stack depth.
        limits = TorchReadLimits()
        limits.pickle.maxStackDepth = 100
        #expect(try refusal([0x80, 2] + [UInt8](repeating: 0x4E, count: 200), limits: limits)
            == .limitExceeded(what: "pickle stack depth", limit: 100, offset: 102))
        // Copies of strided views.
        limits = TorchReadLimits()
        limits.materializationFactor = 0
        limits.materializationMinimum = 8
        let error = Self.underlying { _ = try TorchReader.read(path: Fixtures.path("torch/mixed.pt"), limits: limits) }
        #expect(error as? TorchCheckpointError == .materializationLimit(tensor: "transposed", needed: 96, limit: 8))
    }

    @Test func roundTripIsBitExactForEveryDTypeAndShape() throws {
        let scratch = try Fixtures.scratchDirectory("torch-roundtrip")
        defer { Fixtures.removeScratch(scratch) }
        var original = try SafetensorsTests.sampleStore()
        try original.add("tied.alias", try original.tensor("layer.0.bool"))
        original.metadata = [:]
        let path = scratch + "/model.pt"
        let summary = try TorchWriter.write(original, to: path)
        #expect(summary.tensorCount == original.count)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == summary.byteCount)
        let reread = try TorchReader.read(path: path)
        #expect(reread.names == original.names)
        for (name, tensor) in original.entries {
            #expect(try reread.tensor(name).isBitwiseEqual(to: tensor), "\(name)")
            #expect(try reread.tensor(name).isMapped, "\(name)")
        }
        #expect(reread.aliases().map(\.alias) == ["tied.alias"])
        // Records are 64-byte aligned.
        let archive = try ZipArchive(path: path)
        #expect(archive.entries.map(\.name).prefix(2) == ["archive/data.pkl", "archive/byteorder"])
        #expect(archive.entries.filter { $0.name.hasPrefix("archive/data/") }.allSatisfy { $0.dataOffset % 64 == 0 })
    }

    @Test func dtypeConversionAndCapabilities() throws {
        let scratch = try Fixtures.scratchDirectory("torch-dtype")
        defer { Fixtures.removeScratch(scratch) }
        var store = TensorStore()
        try store.add("w", try Tensor(shape: [3], floats: [0.1, -3.75, 70000]))
        try store.add("ids", try Tensor(zeros: .i64, shape: [2]))
        let path = scratch + "/half.bin"
        try TorchWriter.write(store, to: path, options: WriteOptions(dtype: .bf16))
        let reread = try TorchReader.read(path: path)
        #expect(try reread.tensor("w").isBitwiseEqual(to: store.tensor("w").converted(to: .bf16)))
        #expect(try reread.tensor("ids").dtype == .i64)
        #expect(TorchFormat().canHold(.u64) && !TorchFormat().canHold(.q8_0))
        #expect(throws: LocatedError.self) { try TorchWriter.write(store, to: scratch + "/q.bin", options: WriteOptions(dtype: .q8_0)) }
        #expect(!FileManager.default.fileExists(atPath: scratch + "/q.bin"))
    }

    /// torch.load(weights_only=True) accepted these files when the fixture script made them; the
    /// writer must keep producing them byte for byte.
    @Test(arguments: [("tiny_gpt2.bin", "golden_gpt2.bin"), ("mixed.pt", "golden_mixed.pt")])
    func writerStillProducesTheGoldenFilesTorchAccepted(source: String, golden: String) throws {
        let scratch = try Fixtures.scratchDirectory("torch-golden")
        defer { Fixtures.removeScratch(scratch) }
        let out = scratch + "/" + golden
        try TorchWriter.write(try TorchReader.read(path: Fixtures.path("torch/\(source)")), to: out)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: Fixtures.path("torch/\(golden)"))))
    }

    @Test func formatIsSniffedAndDirectoriesFindPytorchModelBin() throws {
        let scratch = try Fixtures.scratchDirectory("torch-dir")
        defer { Fixtures.removeScratch(scratch) }
        let renamed = scratch + "/weights.unknown"
        try FileManager.default.copyItem(atPath: Fixtures.path("torch/tiny_gpt2.bin"), toPath: renamed)
        #expect(try CheckpointFormats.forReading(path: renamed).name == "torch")
        #expect(try CheckpointFormats.forWriting(path: scratch + "/x.pth", explicit: nil).name == "torch")
        try FileManager.default.copyItem(atPath: Fixtures.path("torch/tiny_gpt2.bin"), toPath: scratch + "/pytorch_model.bin")
        try Data(#"{"model_type":"gpt2"}"#.utf8).write(to: URL(fileURLWithPath: scratch + "/config.json"))
        let checkpoint = try Checkpoint.open(scratch)
        #expect(checkpoint.format == "torch" && checkpoint.architecture == "gpt2")
        #expect(checkpoint.tensors.count == 17)
    }
}
