/// Opens a MODEL argument (CLI.md): a file a plugin opens itself (`.arpa`), a tensor checkpoint
/// (file, sharded index or Hugging Face directory) whose config or metadata names the architecture,
/// a catalog model's name or folder (`models/`, files verified by sha256; ``ModelResolver``), or any of those
/// with `--arch` forcing the plugin.
public enum ModelLoader {
    /// Loads the MODEL argument `model` (resolved by ``ModelResolver``) with the registered plugins.
    public static func load(_ model: String, architecture: String? = nil,
                            registry: ArchitectureRegistry = .shared) throws -> any LanguageModel {
        try load(ModelResolver.resolve(model, architecture: architecture, registry: registry), registry: registry)
    }

    /// Loads a resolved MODEL argument with the registered plugins.
    public static func load(_ model: ResolvedModel, registry: ArchitectureRegistry = .shared) throws -> any LanguageModel {
        let (path, architecture) = (model.path, model.architecture)
        if let owner = try owner(of: path, architecture: architecture, registry: registry), let loadFile = owner.loadFile {
            return try LocatedError.at(path) { try loadFile(path) }
        }
        let checkpoint = try Checkpoint.open(path)
        return try LocatedError.at(path) {
            // Without a config or metadata naming it, the tensor names may still say (an LSTM `.pt` / `.keras`).
            try registry.load(checkpoint.modelSource, architecture: architecture ?? checkpoint.architecture
                              ?? LayoutConverter.detectArchitecture(checkpoint.tensors))
        }
    }

    private static func owner(of path: String, architecture: String?, registry: ArchitectureRegistry) throws -> ArchitectureDescriptor? {
        if Paths.isDirectory(path) { return try directoryOwner(path, architecture: architecture, registry: registry) }
        guard let architecture else { return registry.descriptor(owningFile: path) }
        let forced = try registry.descriptor(named: architecture)
        let lower = path.lowercased()
        return forced.ownFileSuffixes.contains(where: lower.hasSuffix) ? forced : nil
    }

    /// A directory without tensor weights whose `config.json` names (or `--arch` forces) a plugin that
    /// opens its own files (an n-gram directory: config.json + model.arpa) is that plugin's to open.
    private static func directoryOwner(_ path: String, architecture: String?, registry: ArchitectureRegistry) throws -> ArchitectureDescriptor? {
        guard !Checkpoint.directoryWeightFiles.contains(where: { Paths.exists(Paths.join(path, $0)) }) else { return nil }
        let configPath = Paths.join(path, "config.json")
        guard Paths.exists(configPath) else { return nil }
        let descriptor: ArchitectureDescriptor
        if let architecture {
            descriptor = try registry.descriptor(named: architecture)
        } else {
            guard let modelType = try JSONFile.read(path: configPath).objectValue?["model_type"]?.stringValue else { return nil }
            descriptor = try registry.descriptor(forModelType: modelType)
        }
        return descriptor.loadFile == nil ? nil : descriptor
    }
}
