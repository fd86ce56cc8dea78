import LMZooCore

/// Writes safetensors files as the reference writer does: tensors sorted by dtype alignment
/// (descending) then name, contiguous data, the JSON header padded with spaces to a multiple of 8
/// bytes. The file is streamed tensor by tensor into a temporary file and renamed into place.
public enum SafetensorsWriter {
    /// Writes `store` to `path` atomically.
    @discardableResult
    public static func write(_ store: TensorStore, to path: String, options: WriteOptions = WriteOptions()) throws -> WriteSummary {
        let plan = try LocatedError.at(path) { try WritePlan(store: store, options: options) }
        let writer = try AtomicFileWriter(destination: path)
        let header = plan.headerBytes()
        try writer.write(withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) })
        try writer.write(header)
        for item in plan.items {
            try TensorStreaming.write(item.tensor, as: item.dtype, to: writer)
        }
        try writer.commit()
        return WriteSummary(path: path, tensorCount: plan.items.count, byteCount: writer.bytesWritten)
    }

    /// What will be written, in order, and the header that describes it.
    struct WritePlan {
        struct Item {
            let name: String
            let tensor: Tensor
            let dtype: DType
            let byteCount: Int
        }

        var items: [Item] = []
        var metadata: [String: String]

        init(store: TensorStore, options: WriteOptions) throws {
            metadata = store.metadata
            var skipped = Set<String>()
            if options.sharedTensors == .writeOnce {
                let aliases = store.aliases()
                if !aliases.isEmpty {
                    skipped = Set(aliases.map(\.alias))
                    let map = JSONObject(aliases.map { ($0.alias, JSONValue.string($0.original)) })
                    metadata[SafetensorsReader.aliasesKey] = JSONValue.object(map).compactText
                }
            }
            for (name, tensor) in store.entries where !skipped.contains(name) {
                let dtype = options.targetDType(for: tensor.dtype)
                guard !dtype.isBlockQuantized else { throw FormatCapabilityError.cannotHold(format: "safetensors", dtype: dtype) }
                guard let byteCount = dtype.byteCount(forShape: tensor.shape) else {
                    throw TensorError.shapeOverflow(shape: tensor.shape, dtype: dtype)
                }
                items.append(Item(name: name, tensor: tensor, dtype: dtype, byteCount: byteCount))
            }
            items.sort { left, right in
                left.dtype.safetensorsRank != right.dtype.safetensorsRank
                    ? left.dtype.safetensorsRank > right.dtype.safetensorsRank
                    : left.name.utf8.lexicographicallyPrecedes(right.name.utf8)
            }
        }

        /// The JSON header, space-padded to a multiple of 8 bytes.
        func headerBytes() -> [UInt8] {
            var header = JSONObject()
            if !metadata.isEmpty {
                header["__metadata__"] = .object(JSONObject(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
            }
            var offset = 0
            for item in items {
                header[item.name] = [
                    "dtype": .string(item.dtype.rawValue),
                    "shape": .array(item.tensor.shape.map { .int($0) }),
                    "data_offsets": [.int(offset), .int(offset + item.byteCount)],
                ]
                offset += item.byteCount
            }
            var bytes = Array(JSONValue.object(header).compactText.utf8)
            bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8))
            return bytes
        }
    }
}
