import LMZooCore

/// Writes PyTorch zip checkpoints that `torch.load(path, weights_only=True)` reads back as an
/// `OrderedDict` state dict, laid out as `torch.save` lays it out:
///
/// ```
/// archive/data.pkl      protocol 2: OrderedDict of _rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())
/// archive/byteorder     "little"
/// archive/data/0 ...    one record per storage, 64-byte aligned (torch's `FB` padding field)
/// archive/version       "3\n"
/// ```
///
/// Storages use the legacy typed classes (`torch.FloatStorage`, ...); U16/U32/U64, which have
/// none, use `torch.storage.UntypedStorage` with `_rebuild_tensor_v3(..., torch.uint16)` as
/// torch 2 does. Tied tensors (the same view under two names, see ``TensorStore/aliases()``)
/// are one storage referenced by both names, as `torch.save` stores GPT-2's `wte`/`lm_head`;
/// since every torch reader sees every name this is done under either ``SharedTensorPolicy``.
///
/// Left out on purpose: `.format_version` and `.storage_alignment` (they tell torch to compute
/// record offsets assuming miniz's data descriptors, which ``ZipWriter`` does not write) and
/// `.data/serialization_id` (random: the output is deterministic instead). String metadata is
/// not written: torch would return it inside the state dict, where `load_state_dict` rejects it.
public enum TorchWriter {
    /// The archive's top-level folder (what torch.save uses when writing to a buffer).
    public static let archiveName = "archive"
    /// Alignment of every record (torch's default storage alignment).
    public static let recordAlignment = 64

    /// Writes `store` to `path` atomically; tensor bytes are streamed from their source (converted
    /// in bounded chunks when `options.dtype` asks for another dtype).
    @discardableResult
    public static func write(_ store: TensorStore, to path: String, options: WriteOptions = WriteOptions()) throws -> WriteSummary {
        let plan = try LocatedError.at(path) { try WritePlan(store: store, options: options) }
        let zip = try ZipWriter(destination: path)
        let prefix = archiveName
        try zip.addEntry(name: "\(prefix)/data.pkl", bytes: plan.pickle(), alignment: recordAlignment)
        try zip.addEntry(name: "\(prefix)/byteorder", bytes: Array("little".utf8), alignment: recordAlignment)
        for storage in plan.storages {
            try zip.addEntry(name: "\(prefix)/data/\(storage.key)", size: storage.byteCount, alignment: recordAlignment) { sink in
                try TensorStreaming.forEachChunk(of: storage.tensor, as: storage.dtype, sink)
            }
        }
        try zip.addEntry(name: "\(prefix)/version", bytes: Array("3\n".utf8), alignment: recordAlignment)
        let size = try zip.finish()
        return WriteSummary(path: path, tensorCount: plan.entries.count, byteCount: size)
    }

    /// The state dict to write: names in store order, each pointing at a storage.
    struct WritePlan {
        struct Storage {
            let key: String
            let tensor: Tensor
            let dtype: DType
            let byteCount: Int
        }

        var storages: [Storage] = []
        /// (name, index into ``storages``).
        var entries: [(name: String, storage: Int)] = []

        init(store: TensorStore, options: WriteOptions) throws {
            let originals = Dictionary(store.aliases().map { ($0.alias, $0.original) }, uniquingKeysWith: { first, _ in first })
            var storageOfName: [String: Int] = [:]
            for (name, tensor) in store.entries {
                if let original = originals[name], let shared = storageOfName[original] {
                    storageOfName[name] = shared
                    entries.append((name, shared))
                    continue
                }
                let dtype = options.targetDType(for: tensor.dtype)
                guard !dtype.isBlockQuantized else { throw FormatCapabilityError.cannotHold(format: "torch", dtype: dtype) }
                guard let byteCount = dtype.byteCount(forShape: tensor.shape) else {
                    throw TensorError.shapeOverflow(shape: tensor.shape, dtype: dtype)
                }
                storageOfName[name] = storages.count
                entries.append((name, storages.count))
                storages.append(Storage(key: String(storages.count), tensor: tensor, dtype: dtype, byteCount: byteCount))
            }
        }

        /// `data.pkl`, opcode for opcode what `torch.save` writes for the same OrderedDict.
        func pickle() -> [UInt8] {
            var out = PickleEmitter()
            out.reduce { out in
                out.global("collections", "OrderedDict")
                out.tuple(count: 0) { _ in }
            }
            // pickle's _batch_setitems: batches of 1000, SETITEM for a batch of one.
            for batchStart in stride(from: 0, to: entries.count, by: 1000) {
                let batch = entries[batchStart..<min(batchStart + 1000, entries.count)]
                if batch.count > 1 { out.mark() }
                for (name, storageIndex) in batch {
                    out.string(name)
                    emitTensor(storages[storageIndex], into: &out)
                }
                if batch.count > 1 { out.setItems() } else { out.setItem() }
            }
            out.stop()
            return out.bytes
        }

        private func emitTensor(_ storage: Storage, into out: inout PickleEmitter) {
            let shape = storage.tensor.shape
            var strides = [Int](repeating: 1, count: shape.count)
            for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * max(shape[d + 1], 1) }
            let v3Name = TorchPickleRules.dtypeGlobalName(storage.dtype)
            let storageClass = v3Name == nil
                ? ("torch", TorchPickleRules.storageTypes.first { $0.value == storage.dtype }!.key.dropFirst("torch.".count).description)
                : ("torch.storage", "UntypedStorage")
            let numel = v3Name == nil ? storage.tensor.elementCount : storage.byteCount
            out.reduce { out in
                out.global("torch._utils", v3Name == nil ? "_rebuild_tensor_v2" : "_rebuild_tensor_v3")
                out.tuple(count: v3Name == nil ? 6 : 7) { out in
                    out.tuple(count: 5) { out in // the persistent id
                        out.string("storage", identity: "storage")
                        out.global(storageClass.0, storageClass.1)
                        out.string(storage.key, identity: "key:\(storage.key)")
                        out.string("cpu", identity: "cpu")
                        out.int(numel)
                    }
                    out.persistentID()
                    out.int(0)
                    out.tuple(count: shape.count) { out in for size in shape { out.int(size) } }
                    out.tuple(count: strides.count) { out in for stride in strides { out.int(stride) } }
                    out.bool(false)
                    out.reduce { out in
                        out.global("collections", "OrderedDict")
                        out.tuple(count: 0) { _ in }
                    }
                    if let v3Name { out.global("torch", v3Name) }
                }
            }
        }
    }
}
