import Foundation
import LMZooCore
@testable import LMZooFormats
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
        let result = try MutationHarness.run(name: target.name, fixture: target.fixture, fileName: target.fileName, cases: target.cases,
                                             lengthFields: target.fields, companions: target.companions, read: target.read)
        #expect(result.failures.isEmpty, "\(result.failures.count) bad cases:\n\(result.failures.prefix(20).joined(separator: "\n"))")
        // Some mutations (bit flips in tensor data) keep the file valid: the reader must accept those.
        #expect(result.accepted > 0, "\(target.name): no mutated file was accepted; is the fixture valid?")
    }

    /// HDF5 and .keras: libhdf5 parses the structure, and crashes on some corrupt object headers
    /// (HDF5 1.10.8 has no checksums on version-1 metadata), so only what lmzoo and libhdf5 check
    /// first is mutated: truncations and the superblock (HDF5) or the zip records and the start of
    /// the members (.keras).
    @Test(arguments: [("hdf5/generic.h5", "m.h5", 96), ("hdf5/legacy.h5", "m.h5", 96), ("hdf5/model.keras", "m.keras", 64)])
    func truncatedAndFrontMutatedHDF5FilesAreReadOrRefused(fixture: String, fileName: String, frontBytes: Int) throws {
        let read: (String) throws -> Void = fileName.hasSuffix(".keras")
            ? { MutationHarness.touch(try KerasFormat().read(path: $0)) } : { MutationHarness.touch(try HDF5Format().read(path: $0)) }
        // Each case also must leave libhdf5 holding no more object headers than before (a leaked one makes
        // H5close at exit print "infinite loop closing library"); counted under the lock, so no other read interferes.
        var leaked = 0
        let result = try MutationHarness.run(name: fixture, fixture: fixture, fileName: fileName, cases: 300, frontBytes: frontBytes,
                                             afterEach: { leaked == 0 ? nil : "libhdf5 kept \(leaked) object header(s)" }) { path in
            try HDF5.withLock {
                let before = HDF5.liveObjectHeaders ?? 0
                defer { leaked = (HDF5.liveObjectHeaders ?? 0) - before }
                try read(path)
            }
        }
        #expect(result.failures.isEmpty, "\(result.failures.count) bad cases:\n\(result.failures.prefix(20).joined(separator: "\n"))")
        #expect(HDF5.liveObjectHeaders != nil, "this libhdf5 does not export its object-header free list: leaks go unchecked")
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
        .init(name: "vocab.txt", fixture: "hf/bert-tiny/vocab.txt", fileName: "vocab.txt", cases: 800,
              fields: { _ in [] }, companions: [], read: vocabulary),
        .init(name: "config.json", fixture: "hf/gpt2-tiny/config.json", fileName: "config.json", cases: 1500,
              fields: { _ in [] }, companions: [], read: { _ = try JSONFile.read(path: $0) }),
    ]
}
