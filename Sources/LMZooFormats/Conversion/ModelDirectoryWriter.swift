import Foundation
import LMZooCore

/// `lmzoo convert IN OUT_DIR [--layout L]`: writes a model *directory* — `model.safetensors` with the
/// tensors in layout L, `config.json` and the architecture's companion files (`vocab.json`) — that
/// loads like any model directory. The tensors are prepared exactly as for a single-file conversion
/// (``ConversionPlan``); what else the directory holds comes from the architecture plugin's
/// ``ArchitectureDescriptor/modelDirectory`` hook. Each file is written atomically (whole or
/// untouched); files of other names already in OUT_DIR are left alone (the CLI writes into a fresh
/// staging folder, ``StagedOutput``, so a replaced OUT_DIR never mixes old and new files).
public enum ModelDirectoryWriter {
    /// The weights file inside the directory.
    public static let weightsFileName = "model.safetensors"

    /// What was written.
    public struct Summary: Sendable {
        /// The weights file's summary.
        public let weights: WriteSummary
        /// Every file written, `model.safetensors` first.
        public let files: [String]
        /// Notes from the conversion (dropped or synthesised tensors).
        public let notes: [String]
    }

    /// Writes `checkpoint` as a model directory at `directory` (created if absent).
    /// - `architecture`: the plugin to ask (default: the checkpoint's config or metadata, else the tensor names).
    public static func write(_ checkpoint: Checkpoint, to directory: String, layout: LayoutName?, architecture: String?,
                             options: WriteOptions, registry: ArchitectureRegistry = .shared) throws -> Summary {
        guard let name = architecture ?? checkpoint.architecture ?? LayoutConverter.detectArchitecture(checkpoint.tensors, registry: registry) else {
            throw RegistryError.architectureUnknown(path: checkpoint.path, known: registry.all.filter { $0.modelDirectory != nil }.map(\.name))
        }
        let descriptor = try registry.descriptor(named: name)
        guard let describe = descriptor.modelDirectory else {
            throw ModelDirectoryError.unsupported(architecture: name,
                                                  supported: registry.all.filter { $0.modelDirectory != nil }.map(\.name))
        }
        let (tensors, notes) = try ConversionPlan.prepare(checkpoint, for: SafetensorsFormat(), layout: layout,
                                                          architecture: name, dtype: options.dtype, registry: registry)
        let files = try LocatedError.at(checkpoint.path) {
            try describe(ModelDirectoryRequest(source: checkpoint.modelSource, tensors: tensors, layout: layout))
        }
        for (file, _) in files.files where file.isEmpty || file.contains("/") || file == "." || file == ".."
            || file == weightsFileName || file == "config.json"
        {
            throw ModelDirectoryError.badCompanionName(file)
        }
        try createDirectory(directory)
        let weightsPath = Paths.join(directory, weightsFileName)
        let weights = try SafetensorsFormat().write(tensors, to: weightsPath, options: options)
        var written = [weightsPath]
        let configPath = Paths.join(directory, "config.json")
        try AtomicFileWriter.write(Array((JSONValue.object(files.config).prettyText + "\n").utf8), to: configPath)
        written.append(configPath)
        for (file, bytes) in files.files {
            let path = Paths.join(directory, file)
            try AtomicFileWriter.write(bytes, to: path)
            written.append(path)
        }
        return Summary(weights: weights, files: written, notes: notes)
    }

    private static func createDirectory(_ path: String) throws {
        if Paths.exists(path) {
            guard Paths.isDirectory(path) else { throw LocatedError(path: path, ModelDirectoryError.notADirectory) }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw LocatedError(path: path, ModelDirectoryError.cannotCreate(error.localizedDescription))
        }
    }
}

/// Why a model directory could not be written.
public enum ModelDirectoryError: Error, Equatable, CustomStringConvertible {
    /// The architecture's plugin has no ``ArchitectureDescriptor/modelDirectory`` hook.
    case unsupported(architecture: String, supported: [String])
    /// OUT_DIR exists and is not a directory.
    case notADirectory
    /// OUT_DIR could not be created.
    case cannotCreate(String)
    /// A plugin named a companion file that is not a plain file name (or would replace the weights or config).
    case badCompanionName(String)

    public var description: String {
        switch self {
        case let .unsupported(architecture, supported):
            "architecture '\(architecture)' cannot be written as a model directory (only \(supported.joined(separator: ", "))); write a single file instead"
        case .notADirectory: "exists and is not a directory"
        case let .cannotCreate(reason): "cannot create the directory: \(reason)"
        case let .badCompanionName(name): "a plugin asked to write '\(name)', which is not a plain companion file name"
        }
    }
}
