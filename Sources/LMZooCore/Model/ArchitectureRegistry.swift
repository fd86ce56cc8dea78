import Foundation

/// What a command can ask of an architecture (the names `lmzoo list` prints).
public enum Capability: String, CaseIterable, Sendable {
    case tokenize, predict, score, generate, embed
    case fillMask = "fill-mask"
    case decode, train, distill
}

/// Everything a plugin's loader gets: where the model came from, its config and its tensors.
public struct ModelSource: Sendable {
    /// The file or directory the user named.
    public let path: String
    /// The directory holding companion files (tokenizer, vocabulary), if any.
    public let directory: String?
    /// `config.json` (or the equivalent metadata of a single-file format), if any.
    public let config: JSONObject?
    /// The weights.
    public let tensors: TensorStore

    public init(path: String, directory: String?, config: JSONObject?, tensors: TensorStore) {
        self.path = path
        self.directory = directory
        self.config = config
        self.tensors = tensors
    }
}

/// One architecture plugin's entry in the registry: its name and every hook through which the rest
/// of lmzoo reaches what the architecture knows. Only ``name``, ``summary``, ``capabilities`` and
/// ``load`` are required; each other hook, when given, makes the architecture take part in one
/// command:
///
/// | hook | used by |
/// |---|---|
/// | ``load`` / ``loadFile`` | every command that opens a model |
/// | ``layouts`` | `convert --layout`, architecture detection from tensor names, GGUF export's renaming |
/// | ``gguf`` | `convert ... x.gguf`: the `<arch>.*` llama.cpp key/values |
/// | ``modelDirectory`` | `convert IN OUT_DIR` |
/// | ``train`` / ``trainOptions`` | `lmzoo train NAME` |
/// | ``distill`` | `lmzoo distill --student-arch NAME` (and `--student DIR` of this `model_type`) |
///
/// An out-of-tree package builds one and calls ``ArchitectureRegistry/register(_:)``; it then takes
/// part in all of these exactly as the built-in plugins do (Tests/LMZooOutOfTreeTests registers a
/// small one from a test target and converts, trains and distils it).
public struct ArchitectureDescriptor: Sendable {
    /// Registry name (`gpt2`): what `--arch` and `lmzoo list` use.
    public let name: String
    /// Other names `--arch` / `lmzoo train` accept for it (`gpt` for `gpt2`).
    public let aliases: [String]
    /// `config.json` `model_type` values this plugin loads (usually just `name`).
    public let modelTypes: [String]
    /// One line for `lmzoo list`.
    public let summary: String
    /// What the plugin can do today (empty for a plugin that is not implemented yet); `train` and
    /// `distill` are added for the hooks given.
    public let capabilities: [Capability]
    /// Builds a model from a source.
    public let load: @Sendable (ModelSource) throws -> any LanguageModel
    /// File name endings this plugin opens itself, not as a tensor checkpoint (`.arpa`, `.arpa.gz`).
    public let ownFileSuffixes: [String]
    /// Opens a file whose name ends in one of ``ownFileSuffixes``.
    public let loadFile: (@Sendable (String) throws -> any LanguageModel)?
    /// `lmzoo train ARCH`: estimates or trains a model from a request; returns the fields of the
    /// command's JSON output beyond `out` and `seconds` (e.g. `{"tokens": 12345}`).
    public let train: (@Sendable (TrainingRequest) throws -> JSONObject)?
    /// The options of ``TrainingRequest/options`` that ``train`` reads (long names without dashes);
    /// `lmzoo train` refuses any other.
    public let trainOptions: [String]
    /// `lmzoo convert IN OUT_DIR [--layout L]`: what this architecture's model directory holds besides
    /// `model.safetensors` (`config.json`, a vocabulary), given the input and the converted tensors.
    /// nil: the architecture is converted to single files only. Any plugin whose models are
    /// directories (`config.json` + weights + tokenizer files) can provide one.
    public let modelDirectory: (@Sendable (ModelDirectoryRequest) throws -> ModelDirectoryFiles)?
    /// Its tensor names per ecosystem (name tables), how it recognises them and which convention a
    /// store is in. nil: `convert --layout` and detection from tensor names do not know it.
    public let layouts: ArchitectureLayouts?
    /// Its llama.cpp (GGUF) metadata. nil: GGUF export writes tensors only.
    public let gguf: GGUFArchitecture?
    /// `lmzoo distill`: trains a student of this architecture to imitate a teacher, writes it to
    /// ``DistillationRequest/out`` and returns the fields of the command's JSON output beyond `out`
    /// and `seconds`.
    public let distill: (@Sendable (DistillationRequest) throws -> JSONObject)?

    public init(name: String, aliases: [String] = [], modelTypes: [String]? = nil, summary: String, capabilities: [Capability],
                ownFileSuffixes: [String] = [], loadFile: (@Sendable (String) throws -> any LanguageModel)? = nil,
                train: (@Sendable (TrainingRequest) throws -> JSONObject)? = nil, trainOptions: [String] = [],
                modelDirectory: (@Sendable (ModelDirectoryRequest) throws -> ModelDirectoryFiles)? = nil,
                layouts: ArchitectureLayouts? = nil, gguf: GGUFArchitecture? = nil,
                distill: (@Sendable (DistillationRequest) throws -> JSONObject)? = nil,
                load: @escaping @Sendable (ModelSource) throws -> any LanguageModel) {
        self.name = name
        self.aliases = aliases
        self.modelTypes = modelTypes ?? [name]
        self.summary = summary
        var capabilities = capabilities
        if train != nil, !capabilities.isEmpty, !capabilities.contains(.train) { capabilities.append(.train) }
        if distill != nil, !capabilities.isEmpty, !capabilities.contains(.distill) { capabilities.append(.distill) }
        self.capabilities = capabilities
        self.ownFileSuffixes = ownFileSuffixes
        self.loadFile = loadFile
        self.train = train
        self.trainOptions = trainOptions
        self.modelDirectory = modelDirectory
        self.layouts = layouts
        self.gguf = gguf
        self.distill = distill
        self.load = load
    }

    /// An entry for a plugin whose issue has not landed: listed, but loading says so.
    public static func notImplemented(name: String, modelTypes: [String]? = nil, summary: String) -> ArchitectureDescriptor {
        ArchitectureDescriptor(name: name, modelTypes: modelTypes, summary: summary, capabilities: []) { _ in
            throw RegistryError.notImplemented(name)
        }
    }

    /// False for an entry made by ``notImplemented(name:modelTypes:summary:)``.
    public var isImplemented: Bool { !capabilities.isEmpty }
}

/// The table of architecture plugins, keyed by name and by `model_type` (as mlx's
/// `ModelTypeRegistry`). Out-of-tree packages call ``register(_:)`` to add an architecture.
public final class ArchitectureRegistry: @unchecked Sendable {
    /// The process-wide registry the CLI uses.
    public static let shared = ArchitectureRegistry()

    private let lock = NSLock()
    private var entries: [ArchitectureDescriptor] = []

    public init() {}

    /// Adds `descriptor`, replacing an entry of the same name.
    public func register(_ descriptor: ArchitectureDescriptor) {
        lock.withLock {
            if let index = entries.firstIndex(where: { $0.name == descriptor.name }) {
                entries[index] = descriptor
            } else {
                entries.append(descriptor)
            }
        }
    }

    /// All entries in registration order.
    public var all: [ArchitectureDescriptor] { lock.withLock { entries } }

    /// The names of the entries that satisfy `test`, comma-separated in registration order (for help
    /// texts: `names { $0.distill != nil }`).
    public func names(where test: (ArchitectureDescriptor) -> Bool) -> String {
        all.filter(test).map(\.name).joined(separator: ", ")
    }

    /// The entry called `name`, or ``RegistryError/unknownArchitecture(_:known:)``.
    public func descriptor(named name: String) throws -> ArchitectureDescriptor {
        let entries = all
        guard let found = entries.first(where: { $0.name == name }) ?? entries.first(where: { $0.aliases.contains(name) }) else {
            throw RegistryError.unknownArchitecture(name, known: entries.map(\.name))
        }
        return found
    }

    /// The entry that loads `config.json`'s `model_type`, or ``RegistryError/unknownModelType(_:known:)``.
    public func descriptor(forModelType modelType: String) throws -> ArchitectureDescriptor {
        let entries = all
        guard let found = entries.first(where: { $0.modelTypes.contains(modelType) }) else {
            throw RegistryError.unknownModelType(modelType, known: entries.flatMap(\.modelTypes))
        }
        return found
    }

    /// The plugin that opens `path` itself (by its file-name ending), if any.
    public func descriptor(owningFile path: String) -> ArchitectureDescriptor? {
        let lower = path.lowercased()
        return all.first { entry in entry.loadFile != nil && entry.ownFileSuffixes.contains { lower.hasSuffix($0) } }
    }

    /// Loads `source` with the plugin named `architecture`, or else the one its config's
    /// `model_type` names.
    public func load(_ source: ModelSource, architecture: String? = nil) throws -> any LanguageModel {
        if let architecture { return try descriptor(named: architecture).load(source) }
        guard let modelType = source.config?["model_type"]?.stringValue else {
            throw RegistryError.architectureUnknown(path: source.path, known: all.map(\.name))
        }
        return try descriptor(forModelType: modelType).load(source)
    }
}

/// What `lmzoo train ARCH` hands to a plugin.
public struct TrainingRequest: Sendable {
    /// The training text (UTF-8; one sentence or sequence per line unless the plugin says otherwise).
    public let corpus: String
    /// Where to write the model (a file or directory, as the plugin writes it).
    public let out: String
    /// Plugin options from the command line, by long name without dashes (`order` -> `"4"`).
    public let options: [String: String]
    /// Whether to draw a progress bar on stderr.
    public let showProgress: Bool
    /// With `resume`: the checkpoint to continue from, when it is not `out`'s own `checkpoint.safetensors`
    /// (the CLI writes into a staging folder and continues from the checkpoint in the old OUT).
    public let resumeFrom: String?

    public init(corpus: String, out: String, options: [String: String], resumeFrom: String? = nil, showProgress: Bool = false) {
        self.corpus = corpus
        self.out = out
        self.options = options
        self.resumeFrom = resumeFrom
        self.showProgress = showProgress
    }

    /// The integer option `name`, `fallback` when absent; a bad value is a ``TrainingRequestError``.
    public func int(_ name: String, default fallback: Int) throws -> Int {
        guard let text = options[name] else { return fallback }
        guard let value = Int(text) else { throw TrainingRequestError.badOption(name, text) }
        return value
    }

    /// The integer option `name`, `fallback` when absent; a value outside `range` is an
    /// ``OptionValueError`` (a usage mistake: `--order 0`).
    public func int(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws -> Int {
        let value = try int(name, default: fallback)
        guard range.contains(value) else {
            let requirement = range.upperBound == .max ? "must be at least \(range.lowerBound)" : "must be \(range.lowerBound) to \(range.upperBound)"
            throw OptionValueError(name: name, value: String(value), requirement: requirement)
        }
        return value
    }

    /// The floating-point option `name`, `fallback` when absent.
    public func double(_ name: String, default fallback: Double) throws -> Double {
        guard let text = options[name] else { return fallback }
        guard let value = Double(text) else { throw TrainingRequestError.badOption(name, text) }
        return value
    }

    /// The boolean flag `name` (present as "true").
    public func flag(_ name: String) -> Bool { options[name] == "true" }
}

/// A training option with a value the plugin cannot use, or an architecture it cannot train (usage mistakes).
public enum TrainingRequestError: UsageMistake, Equatable, CustomStringConvertible {
    case badOption(String, String)
    case unsupported(architecture: String)
    /// Option `option` was given, but the trainer of `architecture` reads only `reads`.
    case inapplicable(option: String, architecture: String, reads: [String])

    public var description: String {
        switch self {
        case let .badOption(name, value): "--\(name) \(value): not a valid value"
        case let .unsupported(arch): "architecture '\(arch)' cannot be trained by lmzoo train (yet)"
        case let .inapplicable(option, arch, reads):
            "--\(option) does not apply to \(arch) (it reads: \(reads.map { "--" + $0 }.joined(separator: ", ")))"
        }
    }
}

/// Registry lookup failures.
public enum RegistryError: Error, Equatable, CustomStringConvertible {
    case unknownArchitecture(String, known: [String])
    case unknownModelType(String, known: [String])
    case architectureUnknown(path: String, known: [String])
    case notImplemented(String)

    public var description: String {
        switch self {
        case let .unknownArchitecture(name, known):
            "unknown architecture '\(name)' (known: \(known.joined(separator: ", ")))"
        case let .unknownModelType(type, known):
            "unknown model_type '\(type)' (known: \(known.joined(separator: ", ")))"
        case let .architectureUnknown(path, known):
            "\(path): cannot tell the architecture; pass --arch (one of \(known.joined(separator: ", ")))"
        case let .notImplemented(name):
            "architecture '\(name)' is registered but not implemented yet"
        }
    }
}
