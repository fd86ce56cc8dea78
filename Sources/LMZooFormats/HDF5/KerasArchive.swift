import LMZooCore

/// Keras 3 `.keras` archives: a zip with `metadata.json`, `config.json` and `model.weights.h5`
/// (Keras stores them uncompressed).
///
/// Reading gives the weights as ``HDF5Reader`` names them (`layers.lstm.cell.vars.0`: Keras's own
/// paths), read in place from the archive (views of the zip's memory map for stored members),
/// plus metadata: `keras.config` (config.json's text), `keras.metadata` (metadata.json's text),
/// and `keras.layers` (a JSON object from layer name to class name, e.g. `{"lstm": "LSTM"}`).
///
/// Writing needs `keras.config` (a store read from a `.keras`): the archive holds that config,
/// `keras.metadata` (or a minimal one), and the weights written by ``HDF5Writer`` (without the
/// `keras.*` keys). A store without a config is refused: write `.weights.h5` (format `h5`) instead.
public enum KerasArchive {
    public static let configKey = "keras.config"
    public static let metadataKey = "keras.metadata"
    public static let layersKey = "keras.layers"
    static let configMember = "config.json"
    static let metadataMember = "metadata.json"
    static let weightsMember = "model.weights.h5"
    /// Largest config.json / metadata.json accepted.
    static let maxJSONSize = ReaderLimits.kerasJSONBytes

    /// Reads the `.keras` archive at `path`.
    public static func read(path: String, limits: HDF5Limits = HDF5Limits()) throws -> TensorStore {
        let archive = try ZipArchive(path: path)
        return try LocatedError.at(path) {
            guard let weights = archive.entry(named: weightsMember) else { throw KerasError.missingMember(weightsMember) }
            guard let configEntry = archive.entry(named: configMember) else { throw KerasError.missingMember(configMember) }
            let configText = try jsonText(of: configEntry, in: archive)
            let config = try JSONParser.parse(configText)
            guard config.objectValue != nil else { throw KerasError.invalidJSON(configMember, "not a JSON object") }
            let (buffer, offset) = try archive.contents(of: weights)
            var store = try HDF5Reader.read(image: buffer, offset: offset, size: weights.size, limits: limits)
            store.metadata[configKey] = configText
            if let metadataEntry = archive.entry(named: metadataMember) {
                store.metadata[metadataKey] = try jsonText(of: metadataEntry, in: archive)
            }
            store.metadata[layersKey] = JSONValue.object(KerasLayout.layerClasses(config: config)).compactText
            return store
        }
    }

    private static func jsonText(of entry: ZipArchive.Entry, in archive: ZipArchive) throws -> String {
        guard entry.size <= maxJSONSize else { throw KerasError.invalidJSON(entry.name, "\(entry.size) bytes, over the \(maxJSONSize)-byte limit") }
        let bytes = try archive.bytes(of: entry)
        do {
            _ = try bytes.withUnsafeBytes { try JSONParser.parse($0) }
        } catch {
            throw KerasError.invalidJSON(entry.name, "\(error)")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `store` as a `.keras` archive at `path`, atomically.
    @discardableResult
    public static func write(_ store: TensorStore, to path: String, options: WriteOptions = WriteOptions()) throws -> WriteSummary {
        guard let config = store.metadata[configKey] else { throw LocatedError(path: path, KerasError.noConfig) }
        for name in store.names {
            let parts = name.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[parts.count - 2] == "vars", let last = parts.last, !last.isEmpty, last.allSatisfy(\.isNumber) else {
                throw LocatedError(path: path, KerasError.notKerasLayout(name))
            }
        }
        let metadata = store.metadata[metadataKey] ?? #"{"keras_version": "3.0.0"}"#
        // The weights go to a temporary file beside OUT (removed when `scratch` goes away, never committed).
        let scratch = try AtomicFileWriter(destination: path, named: true)
        let count = try LocatedError.at(path) {
            try HDF5Writer.writeFile(store, at: scratch.temporaryPath, options: options,
                                     keepMetadata: { !$0.hasPrefix("keras.") && $0 != HDF5Reader.skippedKey })
        }
        let weights = try MappedFile(path: scratch.temporaryPath)
        let zip = try ZipWriter(destination: path)
        try zip.addEntry(name: metadataMember, bytes: Array(metadata.utf8))
        try zip.addEntry(name: configMember, bytes: Array(config.utf8))
        try zip.addEntry(name: weightsMember, size: weights.count) { sink in
            var offset = 0
            while offset < weights.count {
                let end = min(weights.count, offset + (4 << 20))
                try sink(UnsafeRawBufferPointer(rebasing: weights.bytes[offset..<end]))
                offset = end
            }
        }
        let size = try zip.finish()
        return WriteSummary(path: path, tensorCount: count, byteCount: size)
    }
}

/// Why a `.keras` archive was refused or could not be written.
public enum KerasError: Error, Equatable, CustomStringConvertible {
    /// The archive lacks `config.json` or `model.weights.h5`.
    case missingMember(String)
    /// `config.json` or `metadata.json` is not valid JSON (or too large).
    case invalidJSON(String, String)
    /// Writing a `.keras` needs the Keras config (`keras.config` metadata, from a `.keras` input).
    case noConfig
    /// Writing a `.keras`: a tensor name is not in Keras 3's `...vars.<i>` layout.
    case notKerasLayout(String)

    public var description: String {
        switch self {
        case let .missingMember(name): "keras archive: no '\(name)' in the archive"
        case let .invalidJSON(name, why): "keras archive: '\(name)' is not valid JSON: \(why)"
        case .noConfig:
            "keras archive: no Keras model config (keras.config metadata) to write; a .keras can be written from a .keras input, or write the weights as .weights.h5 (--to h5)"
        case let .notKerasLayout(name): "keras archive: tensor '\(name)' is not named in Keras 3 layout (...vars.<i>)"
        }
    }
}
