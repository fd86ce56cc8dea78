import LMZooCore
import LMZooFormats
import LMZooBERT
import LMZooGPT
import LMZooHMM
import LMZooLSTM
import LMZooNGram

/// One lmzoo reader driven by fuzz inputs: `run` turns the input into the file(s) the reader
/// expects and reads them. Throwing is a correct refusal; only a crash, hang or leak is a bug.
struct FuzzReader: Sendable {
    let name: String
    let summary: String
    /// Writes companion files once per process (e.g. the shards an index names).
    var prepare: @Sendable (FuzzScratch) -> Void = { _ in }
    let run: @Sendable (UnsafeRawBufferPointer, FuzzScratch) throws -> Void
}

enum FuzzReaders {
    static func named(_ name: String) -> FuzzReader? { all.first { $0.name == name } }

    static let all: [FuzzReader] = [
        FuzzReader(name: "safetensors", summary: "a .safetensors file; input starting with '{' is a model.safetensors.index.json beside two shards",
                   prepare: copyShards) { bytes, scratch in
            if bytes.first == UInt8(ascii: "{") {
                touch(try ShardedSafetensors.read(indexPath: scratch.write(ShardedSafetensors.indexFileName, bytes)))
            } else {
                let path = scratch.write("model.safetensors", bytes)
                _ = try SafetensorsReader.readHeader(path: path)
                touch(try SafetensorsReader.read(path: path))
            }
        },
        FuzzReader(name: "gguf", summary: "a .gguf file") { bytes, scratch in
            touch(try GGUFReader.read(path: scratch.write("model.gguf", bytes)))
        },
        FuzzReader(name: "torch", summary: "a torch.save zip (pickle + zip)") { bytes, scratch in
            touch(try TorchReader.read(path: scratch.write("model.pt", bytes)))
        },
        FuzzReader(name: "npy", summary: "a .npy file") { bytes, scratch in
            touch(try NumPyReader.readNPY(path: scratch.write("array.npy", bytes)))
        },
        FuzzReader(name: "npz", summary: "a .npz archive") { bytes, scratch in
            touch(try NumPyReader.readNPZ(path: scratch.write("arrays.npz", bytes)))
        },
        FuzzReader(name: "arpa", summary: "an ARPA file (gzip-compressed when it starts with the gzip magic)") { bytes, scratch in
            touch(try ARPAFormat().read(path: scratch.write("model.arpa", bytes)))
        },
        FuzzReader(name: "hdf5", summary: "an HDF5 file (.h5), or a .keras zip when it starts with 'PK'") { bytes, scratch in
            if bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "K") {
                touch(try KerasArchive.read(path: scratch.write("model.keras", bytes)))
            } else {
                touch(try HDF5Reader.read(path: scratch.write("model.h5", bytes)))
            }
        },
        FuzzReader(name: "tokenizer", summary: "tokenizer files; first byte % 3 picks tokenizer.json, vocab.txt, or vocab.json + merges.txt (split at the first NUL)",
                   run: readTokenizerFiles),
        FuzzReader(name: "config", summary: "a config.json: the JSON parser, then every plugin's config decoding (no weights)",
                   run: decodeConfig),
    ]

    /// Reads every tensor's bytes (a view outside its file would fault here).
    static func touch(_ store: TensorStore) {
        var sum: UInt8 = 0
        for (_, tensor) in store.entries {
            tensor.withUnsafeBytes { bytes in for byte in bytes { sum &+= byte } }
        }
        blackHole(sum)
    }

    @inline(never)
    static func blackHole<T>(_ value: T) { _ = value }

    static let fixtures: String = {
        // Sources/lmzoo-fuzz/FuzzReaders.swift -> Tests/Fixtures
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/Tests/Fixtures"
    }()

    static func copyShards(_ scratch: FuzzScratch) {
        for shard in ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"] {
            guard let file = try? MappedFile(path: fixtures + "/safetensors/sharded/" + shard) else { continue }
            scratch.write(shard, file.bytes)
        }
    }

    static let tokenizerFileNames = ["tokenizer.json", "vocab.txt", "vocab.json", "merges.txt"]
    static let sampleText = "Hello world, héllo 世界! [CLS] <|endoftext|> 123"

    static func readTokenizerFiles(_ bytes: UnsafeRawBufferPointer, _ scratch: FuzzScratch) throws {
        scratch.remove(tokenizerFileNames)
        guard let selector = bytes.first else { return }
        let body = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
        switch selector % 3 {
        case 0: scratch.write("tokenizer.json", body)
        case 1: scratch.write("vocab.txt", body)
        default:
            let split = body.firstIndex(of: 0) ?? body.endIndex
            scratch.write("vocab.json", UnsafeRawBufferPointer(rebasing: body[body.startIndex..<split]))
            scratch.write("merges.txt", UnsafeRawBufferPointer(rebasing: body[min(split + 1, body.endIndex)...]))
        }
        var failures: [any Error] = []
        func attempt(_ body: () throws -> Void) {
            do { try body() } catch { failures.append(error) }
        }
        attempt {
            let vocabulary = try HFVocabulary.read(directory: scratch.directory)
            blackHole(vocabulary.id(of: "hello"))
        }
        attempt {
            let tokenizer = try BERTPlugin.tokenizer(directory: scratch.directory)
            blackHole(tokenizer.decode(try tokenizer.encode(sampleText)))
        }
        attempt {
            let tokenizer = try GPTTokenizerFiles.read(directory: scratch.directory)
            blackHole(tokenizer.decode(try tokenizer.encode(sampleText)))
        }
        if selector % 3 == 2 {
            attempt {
                let tokenizer = try HMMTokenizer.read(path: scratch.path("vocab.json"))
                blackHole(tokenizer.decode(try tokenizer.encode("hello")))
            }
            attempt {
                let tokenizer = try LSTMTokenizer.read(path: scratch.path("vocab.json"), vocabularySize: 8, tokenization: nil)
                blackHole(tokenizer.decode(try tokenizer.encode(sampleText)))
            }
        }
        if let first = failures.first { throw first }
    }

    /// Each plugin with a small model directory of its kind (its weights are read once): a fuzzed
    /// config naming that plugin's `model_type` is checked against real weights and tokenizer files.
    static let plugins: [(plugin: ArchitectureDescriptor, directory: String?, tensors: TensorStore)] = [
        (NGramPlugin.descriptor, nil), (HMMPlugin.descriptor, "../../models/fortunes-hmm"), (LSTMPlugin.descriptor, "lstm/tied"),
        (GPTPlugin.descriptor, "hf/gpt2-tiny"), (BERTPlugin.descriptor, "hf/bert-tiny"),
    ].map { plugin, relative in
        guard let relative, let directory = Optional(fixtures + "/" + relative),
              let weights = try? SafetensorsReader.read(path: directory + "/model.safetensors") else { return (plugin, nil, TensorStore()) }
        return (plugin, directory, weights)
    }

    static func decodeConfig(_ bytes: UnsafeRawBufferPointer, _ scratch: FuzzScratch) throws {
        let json = try JSONParser.parse(bytes)
        blackHole(json.compactText)
        guard let object = json.objectValue else { return }
        let path = scratch.write("config.json", bytes)
        let modelType = object["model_type"]?.stringValue
        // Refused when no plugin loads it; the error shown is the matching plugin's.
        var failure: (any Error)?
        var loaded = false
        for (plugin, directory, tensors) in plugins {
            let matches = modelType.map { plugin.modelTypes.contains($0) } ?? false
            let source = matches && directory != nil
                ? ModelSource(path: directory!, directory: directory, config: object, tensors: tensors)
                : ModelSource(path: path, directory: scratch.directory, config: object, tensors: TensorStore())
            do {
                blackHole(try plugin.load(source))
                loaded = true
            } catch {
                if failure == nil || matches { failure = error }
            }
        }
        if !loaded, let failure { throw failure }
    }
}
