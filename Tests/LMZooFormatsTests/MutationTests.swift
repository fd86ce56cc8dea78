import Foundation
import LMZooCore
import LMZooFormats
import LMZooTestSupport
import Testing

/// Deterministic mutation tests: every reader gets a few thousand seeded mutations of a committed
/// valid fixture (bit flips, truncations, length fields at 0 / max / -1, duplicated, reordered and
/// deleted sections) and must return tensors (whose bytes are then all touched) or throw, each case
/// within ``MutationHarness/maxCaseSeconds``. A trap prints the case (``CrashReporter``); a failure
/// lists the seed and case numbers. Replay one with LMZOO_MUTATION_SEED / LMZOO_MUTATION_CASES.
@Suite struct MutationTests {
    @Test(arguments: MutationTarget.formats)
    func mutatedFilesAreReadOrRefused(target: MutationTarget) throws {
        try MutationHarness.run(target)
    }
}

/// One reader under test: a valid fixture, the name a mutated copy is written under, the format's
/// length fields, and how to read it.
public struct MutationTarget: Sendable, CustomStringConvertible {
    let name: String
    let fixture: String
    let fileName: String
    let cases: Int
    let fields: @Sendable ([UInt8]) -> [LengthField]
    /// Companion files copied beside the mutated one (shards for an index, merges for a vocab).
    let companions: [String]
    let read: @Sendable (String) throws -> Void

    public var description: String { name }

    static func tensors(_ read: @escaping @Sendable (String) throws -> TensorStore) -> @Sendable (String) throws -> Void {
        { path in MutationHarness.touch(try read(path)) }
    }

    static func vocabulary(_ path: String) throws {
        let vocabulary = try HFVocabulary.read(directory: Paths.directory(of: path))
        if vocabulary.kind == .bpe, let bpe = try? ByteLevelBPETokenizer(tokens: vocabulary.tokens, merges: vocabulary.merges) {
            _ = try bpe.encode("hello world, ça va? 123")
        }
    }

    static let formats: [MutationTarget] = [
        .init(name: "safetensors", fixture: "safetensors/python_mixed.safetensors", fileName: "m.safetensors", cases: 3000,
              fields: { _ in [LengthField(0, 8)] }, companions: [], read: tensors(SafetensorsReader.read)),
        .init(name: "safetensors index", fixture: "safetensors/sharded/model.safetensors.index.json",
              fileName: "model.safetensors.index.json", cases: 1500, fields: { _ in [] },
              companions: ["safetensors/sharded/model-00001-of-00002.safetensors", "safetensors/sharded/model-00002-of-00002.safetensors"],
              read: tensors(ShardedSafetensors.read)),
        .init(name: "gguf", fixture: "gguf/python_all_types.gguf", fileName: "m.gguf", cases: 3000,
              fields: { _ in [LengthField(8, 8), LengthField(16, 8)] }, companions: [], read: tensors(GGUFReader.read)),
        .init(name: "torch zip + pickle", fixture: "torch/nested.pt", fileName: "m.pt", cases: 3000,
              fields: Mutator.zipFields, companions: [], read: tensors { try TorchReader.read(path: $0) }),
        .init(name: "npy", fixture: "numpy/f4.npy", fileName: "m.npy", cases: 3000,
              fields: { _ in [LengthField(8, 2)] }, companions: [], read: tensors(NumPyFormat(.npy).read)),
        .init(name: "npy v3", fixture: "numpy/version3.npy", fileName: "m.npy", cases: 1000,
              fields: { _ in [LengthField(8, 4)] }, companions: [], read: tensors(NumPyFormat(.npy).read)),
        .init(name: "npz", fixture: "numpy/savez.npz", fileName: "m.npz", cases: 2000,
              fields: Mutator.zipFields, companions: [], read: tensors(NumPyFormat(.npz).read)),
        .init(name: "npz compressed", fixture: "numpy/savez_compressed.npz", fileName: "m.npz", cases: 2000,
              fields: Mutator.zipFields, companions: [], read: tensors(NumPyFormat(.npz).read)),
        .init(name: "tokenizer.json", fixture: "hf/gpt2-tiny/tokenizer.json", fileName: "tokenizer.json", cases: 800,
              fields: { _ in [] }, companions: [], read: vocabulary),
        .init(name: "vocab.json + merges.txt", fixture: "hf/gpt2-tiny/vocab.json", fileName: "vocab.json", cases: 800,
              fields: { _ in [] }, companions: ["hf/gpt2-tiny/merges.txt"], read: vocabulary),
        .init(name: "merges.txt", fixture: "hf/gpt2-tiny/merges.txt", fileName: "merges.txt", cases: 800,
              fields: { _ in [] }, companions: ["hf/gpt2-tiny/vocab.json"], read: vocabulary),
        .init(name: "config.json", fixture: "hf/gpt2-tiny/config.json", fileName: "config.json", cases: 1500,
              fields: { _ in [] }, companions: [], read: { _ = try JSONFile.read(path: $0) }),
    ]
}

/// Runs a target's cases and collects the ones that trapped (reported by ``CrashReporter``),
/// threw something untyped, or took too long.
enum MutationHarness {
    static let seed: UInt64 = ProcessInfo.processInfo.environment["LMZOO_MUTATION_SEED"].flatMap { UInt64($0) } ?? 0x1A2B_3C4D
    /// Overrides every target's case count (e.g. 100000 for a long local run).
    static let caseOverride = ProcessInfo.processInfo.environment["LMZOO_MUTATION_CASES"].flatMap { Int($0) }
    static let maxCaseSeconds = 1.0

    static func run(_ target: MutationTarget) throws {
        CrashReporter.install()
        let scratch = try Fixtures.scratchDirectory("mutation")
        defer { Fixtures.removeScratch(scratch) }
        for companion in target.companions {
            try FileManager.default.copyItem(atPath: Fixtures.path(companion), toPath: scratch + "/" + Paths.fileName(of: companion))
        }
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(target.fixture))))
        let mutator = Mutator(original, lengthFields: target.fields(original))
        let path = scratch + "/" + target.fileName
        var failures: [String] = []
        var accepted = 0
        let targetSeed = seed ^ UInt64(truncatingIfNeeded: target.name.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) })
        for index in 0..<(caseOverride ?? target.cases) {
            let (bytes, what) = mutator.mutate(seed: targetSeed, case: index)
            let label = "\(target.name) seed \(seed) case \(index): \(what)"
            CrashReporter.current(label)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let started = Date()
            do {
                try target.read(path)
                accepted += 1
            } catch {
                if String(describing: error).isEmpty { failures.append("\(label): empty error message") }
            }
            let seconds = Date().timeIntervalSince(started)
            if seconds > maxCaseSeconds { failures.append("\(label): took \(String(format: "%.2f", seconds)) s") }
        }
        CrashReporter.current("(between cases)")
        #expect(failures.isEmpty, "\(failures.count) bad cases:\n\(failures.prefix(20).joined(separator: "\n"))")
        // Some mutations (bit flips in tensor data) keep the file valid: the reader must accept those.
        #expect(accepted > 0, "\(target.name): no mutated file was accepted; is the fixture valid?")
    }

    /// Reads every byte of every tensor, so that a view reaching past its buffer traps here.
    static func touch(_ store: TensorStore) {
        var checksum: UInt8 = 0
        for (_, tensor) in store.entries {
            tensor.withUnsafeBytes { bytes in
                for byte in bytes { checksum ^= byte }
            }
        }
        blackHole(checksum)
    }

    @inline(never) static func blackHole(_ value: UInt8) { _ = value }
}
