import Glibc
import LMZooCore

/// A checkpoint opened from a user's path: a single file, a sharded index, or a directory in
/// Hugging Face layout (`config.json` + weights).
public struct Checkpoint: Sendable {
    /// The path the user gave.
    public let path: String
    /// Container format name (`safetensors`).
    public let format: String
    /// Every file whose bytes the tensors come from (to refuse writing over an input).
    public let files: [String]
    /// The directory holding companion files, when the checkpoint is a directory or index.
    public let directory: String?
    /// `config.json`, if present.
    public let config: JSONObject?
    /// The tensors (views into the files where the format allows).
    public let tensors: TensorStore

    /// The architecture named by `config.json`'s `model_type`, or the file's own metadata
    /// (`model_type`; GGUF's `general.architecture`, as the plugin whose
    /// ``ArchitectureDescriptor/gguf`` writes that name, else the name itself).
    public var architecture: String? {
        if let named = config?["model_type"]?.stringValue ?? tensors.metadata["model_type"] { return named }
        // A file converted from GGUF may keep the key as text metadata.
        let key = "general.architecture"
        guard let gguf = GGUFReader.keyValues(of: tensors)?[key: key]?.stringValue ?? tensors.metadata[key] else { return nil }
        return ArchitectureRegistry.shared.all.first { $0.gguf?.name == gguf }?.name ?? gguf
    }

    /// ``architecture``, or else the one the tensor names show (``LayoutConverter/detectArchitecture(_:)``,
    /// as loading guesses it: a GPT-2 `.bin` or `.keras` names none).
    public var detectedArchitecture: String? { architecture ?? LayoutConverter.detectArchitecture(tensors) }

    /// What a plugin's loader gets.
    public var modelSource: ModelSource {
        ModelSource(path: path, directory: directory, config: config, tensors: tensors)
    }

    /// Weight files looked for in a directory, in order of preference.
    public static let directoryWeightFiles = [ShardedSafetensors.indexFileName, "model.safetensors", "pytorch_model.bin", "model.pt"]

    /// Opens `path` (file, index or directory).
    public static func open(_ path: String) throws -> Checkpoint {
        guard Paths.exists(path) else { throw FileError.system(path: path, action: "open", errno: ENOENT) }
        if Paths.isDirectory(path) { return try openDirectory(path) }
        if Paths.fileName(of: path).hasSuffix(".index.json") {
            return try openIndex(path, userPath: path, config: nil, directory: Paths.directory(of: path))
        }
        let format = try CheckpointFormats.forReading(path: path)
        return Checkpoint(path: path, format: format.name, files: [path], directory: nil, config: nil,
                          tensors: try format.read(path: path))
    }

    private static func openDirectory(_ directory: String) throws -> Checkpoint {
        let configPath = Paths.join(directory, "config.json")
        var config: JSONObject?
        if Paths.exists(configPath) {
            guard let object = try JSONFile.read(path: configPath).objectValue else {
                throw LocatedError(path: configPath, JSONFileError.notAnObject)
            }
            config = object
        }
        guard let weights = directoryWeightFiles.map({ Paths.join(directory, $0) }).first(where: Paths.exists) else {
            throw LocatedError(path: directory, CheckpointError.noWeights(lookedFor: directoryWeightFiles))
        }
        if weights.hasSuffix(".index.json") {
            return try openIndex(weights, userPath: directory, config: config, directory: directory)
        }
        let format = try CheckpointFormats.forReading(path: weights)
        return Checkpoint(path: directory, format: format.name, files: [weights], directory: directory, config: config,
                          tensors: try format.read(path: weights))
    }

    private static func openIndex(_ indexPath: String, userPath: String, config: JSONObject?, directory: String) throws -> Checkpoint {
        let (tensors, shardPaths) = try ShardedSafetensors.open(indexPath: indexPath)
        return Checkpoint(path: userPath, format: "safetensors (sharded)", files: [indexPath] + shardPaths,
                          directory: directory, config: config, tensors: tensors)
    }
}

/// Why a checkpoint could not be opened.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case noWeights(lookedFor: [String])

    public var description: String {
        switch self {
        case let .noWeights(names): "no weights found (looked for \(names.joined(separator: ", ")))"
        }
    }
}
