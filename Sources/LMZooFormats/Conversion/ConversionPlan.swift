import LMZooCore

/// What `lmzoo convert` writes: the checkpoint's tensors re-mapped to the target's naming
/// convention, plus the metadata the target ecosystem needs. Library code, so that tests and other
/// tools convert exactly as the CLI does.
public enum ConversionPlan {
    /// The tensors to hand to `format`'s writer, and notes (what was dropped or synthesised).
    ///
    /// - `layout`: re-map names to this convention. When nil and the target is GGUF, a checkpoint of an
    ///   architecture with GGUF names and metadata (``ArchitectureDescriptor/gguf``) is re-mapped to
    ///   llama.cpp's names, since that is the only convention llama.cpp loads.
    /// - `dropHead`: leave out a head the target has no names for (else that is an error).
    /// - Writing GGUF from a Hugging Face directory adds `general.*`, `<arch>.*` (from the plugin) and
    ///   `tokenizer.ggml.*` key/values built from `config.json` and the tokenizer files.
    public static func prepare(_ checkpoint: Checkpoint, for format: any CheckpointFormat, layout: LayoutName?,
                               architecture: String?, dtype: DType?, dropHead: Bool = false,
                               registry: ArchitectureRegistry = .shared) throws -> (tensors: TensorStore, notes: [String]) {
        var notes: [String] = []
        var tensors = checkpoint.tensors
        let architecture = architecture ?? checkpoint.architecture ?? LayoutConverter.detectArchitecture(tensors, registry: registry)
        let plugin = architecture.flatMap { try? registry.descriptor(named: $0) }
        let writingGGUF = format.name == GGUFFormat().name
        // The plugins that describe themselves to llama.cpp have GGUF names too.
        let targetLayout = layout ?? (writingGGUF && plugin?.gguf != nil && plugin?.layouts?.supported.contains(.gguf) == true ? .gguf : nil)
        if let targetLayout {
            tensors = try LocatedError.at(checkpoint.path) {
                try LayoutConverter.convert(tensors, architecture: architecture, to: targetLayout, dropHead: dropHead, registry: registry,
                                            notes: &notes)
            }
        }
        if writingGGUF, let architecture, let gguf = plugin?.gguf, let config = checkpoint.config, let directory = checkpoint.directory {
            let vocabulary = try HFVocabulary.read(directory: directory)
            tensors.formatExtras[GGUFReader.keyValuesExtra] = try LocatedError.at(checkpoint.path) {
                try GGUFModelMetadata.build(architecture: gguf, name: Paths.fileName(of: directory), config: config,
                                            vocabulary: vocabulary, fileType: GGUFModelMetadata.fileType(for: dtype))
            }
            notes.append("wrote llama.cpp metadata for \(architecture) (\(vocabulary.tokens.count) tokens)")
        }
        return (tensors, notes)
    }
}
