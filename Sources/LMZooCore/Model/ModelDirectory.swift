/// What a plugin's model-directory writer gets (`lmzoo convert IN OUT_DIR --layout L`; see
/// ``ArchitectureDescriptor/modelDirectory``). The generic part of the conversion — re-mapping the
/// tensors to `layout`, writing them as `model.safetensors`, writing every file atomically — is done
/// by the caller (`ModelDirectoryWriter` in LMZooFormats); the plugin only says what else the
/// directory holds.
public struct ModelDirectoryRequest: Sendable {
    /// The input as it was opened (its own names, config and companion-file directory).
    public let source: ModelSource
    /// The tensors as they will be written to `model.safetensors` (already in ``layout``).
    public let tensors: TensorStore
    /// The naming convention of ``tensors`` (nil: the input's own).
    public let layout: LayoutName?

    public init(source: ModelSource, tensors: TensorStore, layout: LayoutName?) {
        self.source = source
        self.tensors = tensors
        self.layout = layout
    }
}

/// The files of a model directory besides `model.safetensors`: its `config.json` (which must name
/// the architecture's `model_type`, so that the directory loads without `--arch`) and companion
/// files such as `vocab.json`.
public struct ModelDirectoryFiles: Sendable {
    /// Written as `config.json`.
    public var config: JSONObject
    /// Companion files by plain file name (no directories), written as given.
    public var files: [(name: String, bytes: [UInt8])]

    public init(config: JSONObject, files: [(name: String, bytes: [UInt8])] = []) {
        self.config = config
        self.files = files
    }
}
