import LMZooCore

/// Reads safetensors files (zero-copy: tensors are views into a memory map of the file).
public enum SafetensorsReader {
    /// Metadata key under which lmzoo records tied tensors written once (JSON `{alias: original}`).
    public static let aliasesKey = "lmzoo.aliases"

    /// Maps `path`, validates its header and returns its tensors as views, in file order.
    /// Tensors recorded in ``aliasesKey`` come back as views sharing their original's bytes.
    public static func read(path: String) throws -> TensorStore {
        let file = try MappedFile(path: path)
        return try LocatedError.at(path) {
            let header = try SafetensorsHeader.parse(fileBytes: file.bytes)
            let buffer = TensorBuffer(mapping: file)
            var store = TensorStore(metadata: header.metadata)
            for entry in header.entries {
                let tensor = try Tensor(dtype: entry.dtype, shape: entry.shape, buffer: buffer,
                                        byteOffset: header.dataStart + entry.dataRange.lowerBound)
                try store.add(entry.name, tensor)
            }
            try restoreAliases(&store)
            return store
        }
    }

    /// Only the header of `path` (for `inspect`): no tensor byte is read.
    public static func readHeader(path: String) throws -> SafetensorsHeader {
        let file = try MappedFile(path: path)
        return try LocatedError.at(path) { try SafetensorsHeader.parse(fileBytes: file.bytes) }
    }

    private static func restoreAliases(_ store: inout TensorStore) throws {
        guard let text = store.metadata.removeValue(forKey: aliasesKey) else { return }
        let json: JSONValue
        do { json = try JSONParser.parse(text) } catch { throw SafetensorsError.invalidAlias("not valid JSON (\(error))") }
        guard let map = json.objectValue else { throw SafetensorsError.invalidAlias("not a JSON object") }
        for (alias, originalValue) in map.entries {
            guard let original = originalValue.stringValue, let tensor = store[original] else {
                throw SafetensorsError.invalidAlias("'\(alias)' refers to a tensor that is not in the file")
            }
            guard store[alias] == nil else { throw SafetensorsError.invalidAlias("'\(alias)' is also a stored tensor") }
            try store.add(alias, tensor)
        }
    }
}
