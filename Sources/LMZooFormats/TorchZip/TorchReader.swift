import LMZooCore

/// Limits applied to a PyTorch checkpoint before anything is allocated for it.
public struct TorchReadLimits: Sendable {
    /// Limits of the pickle interpreter.
    public var pickle = PickleLimits()
    /// Largest `data.pkl` lmzoo will interpret.
    public var maxPickleBytes = ReaderLimits.pickleBytes
    /// Deepest nesting of dicts/lists around a tensor.
    public var maxNestingDepth = ReaderLimits.pickleContainerNesting
    /// Most tensors + metadata entries + containers visited while flattening (shared containers
    /// count once per reference, so a pickle cannot expand exponentially).
    public var maxFlattenedEntries = ReaderLimits.pickleFlattenedEntries
    /// Copies of strided or byte-swapped views may total at most `max(factor x file size, minimum)` bytes.
    public var materializationFactor = ReaderLimits.viewCopyFactor
    public var materializationMinimum = ReaderLimits.viewCopyMinimumBytes

    public init() {}
}

/// Reads PyTorch zip checkpoints (`torch.save` since torch 1.6: `<prefix>/data.pkl` plus one
/// record `<prefix>/data/<key>` per storage) with an allowlist pickle interpreter that never
/// executes anything. Nested dicts are flattened into dotted names (`{"model": {"w": t}}` gives
/// `model.w`, list items give their index); non-tensor leaves (ints, floats, strings, bools, None)
/// go to the metadata as text; bytes are dropped.
public enum TorchReader {
    /// How `torch.save(..., _use_new_zipfile_serialization=False)` (and torch < 1.6) starts: the
    /// pickled magic number 0x1950a86a20f9469cfc6c (protocol 2, LONG1).
    static let legacyMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    /// True when `prefix` starts like a legacy (pre-zip) torch checkpoint.
    public static func isLegacy(prefix: UnsafeRawBufferPointer) -> Bool {
        prefix.count >= legacyMagic.count && prefix.prefix(legacyMagic.count).elementsEqual(legacyMagic)
    }

    /// True when `prefix` is a zip whose first member is `<folder>/data.pkl`, as torch.save writes it.
    public static func startsLikeTorchZip(prefix: UnsafeRawBufferPointer) -> Bool {
        guard prefix.count >= 30, prefix.loadUnaligned(as: UInt32.self).littleEndian == 0x0403_4B50 else { return false }
        let nameLength = Int(prefix.loadUnaligned(fromByteOffset: 26, as: UInt16.self).littleEndian)
        guard nameLength <= prefix.count - 30 else { return false }
        let name = prefix[30..<(30 + nameLength)]
        let suffix = Array("/data.pkl".utf8)
        return name.count > suffix.count && name.suffix(suffix.count).elementsEqual(suffix)
            && !name.dropLast(suffix.count).contains(UInt8(ascii: "/"))
    }

    /// Maps `path` and returns its tensors in pickle order. Contiguous tensors are zero-copy views
    /// of the file; tensors tied in the checkpoint (one storage, same view) come back as one view.
    public static func read(path: String, limits: TorchReadLimits = TorchReadLimits()) throws -> TensorStore {
        let file = try MappedFile(path: path)
        if isLegacy(prefix: file.bytes) { throw LocatedError(path: path, TorchCheckpointError.legacyFormat) }
        let archive = try ZipArchive(path: path)
        return try LocatedError.at(path) { try read(archive: archive, limits: limits) }
    }

    static func read(archive: ZipArchive, limits: TorchReadLimits) throws -> TensorStore {
        let prefix = try archivePrefix(archive)
        let byteSwapped = try readByteOrder(archive, prefix: prefix)
        try checkVersion(archive, prefix: prefix)
        guard let pickleEntry = archive.entry(named: "\(prefix)/data.pkl") else { throw TorchCheckpointError.notATorchArchive }
        guard pickleEntry.size <= limits.maxPickleBytes else {
            throw TorchCheckpointError.limitExceeded(what: "data.pkl size \(pickleEntry.size)", limit: limits.maxPickleBytes, offset: 0)
        }
        let machine = PickleMachine(bytes: try archive.bytes(of: pickleEntry), rules: TorchPickleRules(), limits: limits.pickle)
        var flat = Flattener(limits: limits)
        try machine.evaluate { root in try flat.flattenRoot(root) }

        let limit = max(archive.file.count.multipliedReportingOverflow(by: limits.materializationFactor).partialValue,
                        limits.materializationMinimum)
        let storages = TorchStorages(archive: archive, prefix: prefix, byteSwapped: byteSwapped, materializationLimit: limit)
        var store = TensorStore(metadata: flat.metadata)
        for (name, reference) in flat.tensors {
            try store.add(name, try storages.tensor(reference, name: name))
        }
        return store
    }

    /// The folder holding `data.pkl` (torch.save names it after the file, or `archive`).
    private static func archivePrefix(_ archive: ZipArchive) throws -> String {
        var prefixes: [String] = []
        for entry in archive.entries {
            let parts = entry.name.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count == 2, parts[1] == "data.pkl", !parts[0].isEmpty { prefixes.append(String(parts[0])) }
        }
        guard let prefix = prefixes.first else { throw TorchCheckpointError.notATorchArchive }
        guard prefixes.count == 1 else { throw TorchCheckpointError.ambiguousArchive(prefixes: prefixes) }
        if archive.entry(named: "\(prefix)/constants.pkl") != nil { throw TorchCheckpointError.torchScriptArchive }
        return prefix
    }

    /// True when the `byteorder` record says `big` (no record: little, as torch assumes).
    private static func readByteOrder(_ archive: ZipArchive, prefix: String) throws -> Bool {
        guard let entry = archive.entry(named: "\(prefix)/byteorder") else { return false }
        guard entry.size <= 16 else { throw TorchCheckpointError.unsupportedByteOrder("(\(entry.size) bytes)") }
        let text = String(decoding: try archive.bytes(of: entry), as: UTF8.self)
        switch text {
        case "little": return false
        case "big": return true
        default: throw TorchCheckpointError.unsupportedByteOrder(text)
        }
    }

    private static func checkVersion(_ archive: ZipArchive, prefix: String) throws {
        guard let entry = archive.entry(named: "\(prefix)/version") ?? archive.entry(named: "\(prefix)/.data/version") else { return }
        guard entry.size <= 32 else { throw TorchCheckpointError.invalidVersion("(\(entry.size) bytes)") }
        let text = String(decoding: try archive.bytes(of: entry), as: UTF8.self)
        let words = text.split(whereSeparator: \.isWhitespace)
        guard words.count == 1, let word = words.first, word.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw TorchCheckpointError.invalidVersion(text)
        }
    }
}

/// Walks the pickle's root into dotted names: tensors, and text metadata for scalar leaves.
private struct Flattener {
    let limits: TorchReadLimits
    var tensors: [(String, TorchTensorRef)] = []
    var metadata: [String: String] = [:]
    private var visited = 0

    init(limits: TorchReadLimits) { self.limits = limits }

    mutating func flattenRoot(_ root: PickleValue) throws {
        switch root {
        case .dict, .list, .tuple: try visit(root, name: "", depth: 0)
        case let .object(object) where object is TorchTensorRef: throw TorchCheckpointError.notAStateDict("a single tensor")
        default: throw TorchCheckpointError.notAStateDict(root.kindName)
        }
    }

    private mutating func visit(_ value: PickleValue, name: String, depth: Int) throws {
        visited += 1
        guard visited <= limits.maxFlattenedEntries else {
            throw TorchCheckpointError.limitExceeded(what: "flattened entries", limit: limits.maxFlattenedEntries, offset: -1)
        }
        func child(_ component: String) -> String { name.isEmpty ? component : name + "." + component }
        switch value {
        case let .dict(dict):
            guard depth < limits.maxNestingDepth else {
                throw TorchCheckpointError.limitExceeded(what: "nesting of dicts and lists", limit: limits.maxNestingDepth, offset: -1)
            }
            for (key, item) in dict.entries { try visit(item, name: child(key.nameComponent), depth: depth + 1) }
        case let .list(sequence), let .tuple(sequence):
            guard depth < limits.maxNestingDepth else {
                throw TorchCheckpointError.limitExceeded(what: "nesting of dicts and lists", limit: limits.maxNestingDepth, offset: -1)
            }
            for (index, item) in sequence.items.enumerated() { try visit(item, name: child(String(index)), depth: depth + 1) }
        case let .object(object):
            if let tensor = object as? TorchTensorRef { tensors.append((name, tensor)) }
        case let .string(text): metadata[name] = text
        case let .int(number): metadata[name] = String(number)
        case let .float(number): metadata[name] = String(number)
        case let .bool(flag): metadata[name] = flag ? "True" : "False"
        case .none: metadata[name] = "None"
        case .bytes, .global: break
        }
    }
}
