import LMZooCore

/// Reads GGUF files (llama.cpp's container) zero-copy: tensors are views into a memory map of
/// the file; shapes are outermost first (GGUF's `ne` reversed, see ``GGUFHeader``).
///
/// The returned store keeps the typed key/values, in file order, as `[GGUFKeyValue]` in
/// `formatExtras[GGUFReader.keyValuesExtra]` (what ``GGUFWriter`` writes back), and a readable text
/// of each one in `metadata` (long arrays summarised with their length, see ``GGUFValueText``).
public enum GGUFReader {
    /// The `TensorStore.formatExtras` key of the typed key/values.
    public static let keyValuesExtra = "gguf.kv"

    /// Maps `path`, validates its header and returns its tensors as views, in file order.
    public static func read(path: String) throws -> TensorStore {
        let file = try MappedFile(path: path)
        return try LocatedError.at(path) {
            let header = try GGUFHeader.parse(fileBytes: file.bytes)
            let buffer = TensorBuffer(mapping: file)
            var store = TensorStore()
            for entry in header.keyValues { store.metadata[entry.key] = GGUFValueText.text(entry.value) }
            store.formatExtras[keyValuesExtra] = header.keyValues
            for info in header.tensors {
                let tensor = try Tensor(dtype: info.dtype, shape: info.shape, buffer: buffer, byteOffset: header.dataStart + info.offset)
                try store.add(info.name, tensor)
            }
            return store
        }
    }

    /// Only the header of `path`: no tensor byte is read.
    public static func readHeader(path: String) throws -> GGUFHeader {
        let file = try MappedFile(path: path)
        return try LocatedError.at(path) { try GGUFHeader.parse(fileBytes: file.bytes) }
    }

    /// The typed key/values a GGUF reader left in `store`, if any.
    public static func keyValues(of store: TensorStore) -> [GGUFKeyValue]? {
        store.formatExtras[keyValuesExtra] as? [GGUFKeyValue]
    }
}
