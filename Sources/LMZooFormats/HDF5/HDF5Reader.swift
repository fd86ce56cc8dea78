import CHDF5
import LMZooCore

/// Reads HDF5 files: every numeric dataset becomes a tensor named by its path with `/` -> `.`
/// (`layers/dense/vars/0` -> `layers.dense.vars.0`), which is exactly Keras 3's `.weights.h5`
/// layout. Files in the legacy Keras 2 layout (`layer_names` / `weight_names` attributes) are
/// named from those attributes instead (see ``KerasLayout``).
///
/// - Contiguous little-endian datasets are zero-copy views of a memory map of the file (their
///   offset and size checked against the file); chunked, compressed, compact and big-endian ones are
///   read with `H5Dread` into owned memory after the size limits are checked.
/// - A `uint16` or 2-byte opaque dataset with the attribute `dtype = "bfloat16"` (how Keras 3 saves
///   bfloat16 through h5py) is BF16; h5py's FALSE/TRUE enum is BOOL.
/// - String attributes of the root become metadata under their own name; those of other groups
///   under `/<group path>@<attribute>` (so that a writer can put them back). Arrays of strings are
///   stored as JSON arrays. Attributes of other types are not kept.
/// - With ``HDF5CrashGuard/mode`` set, the file is read once in a child process first: libhdf5
///   crashes on some corrupt files, and such a file is refused with ``HDF5Error/libraryCrashed(signal:)`` instead.
/// - Datasets that hold no numbers are skipped and listed under ``skippedKey``; every other
///   problem is an ``HDF5Error``.
public enum HDF5Reader {
    /// Metadata key listing skipped non-numeric datasets (JSON object: path -> reason).
    public static let skippedKey = "hdf5.skipped"

    /// Reads the HDF5 file at `path`.
    public static func read(path: String, limits: HDF5Limits = HDF5Limits()) throws -> TensorStore {
        let mapped = try MappedFile(path: path)
        return try LocatedError.at(path) {
            try HDF5.withLock {
                let read = { try readContents(HDF5File(path: path, mapped: mapped, limits: limits)) }
                try HDF5CrashGuard.survive(.path(path), limits: limits) { _ = try read() }
                return try read()
            }
        }
    }

    /// Reads an HDF5 file held in memory (`buffer.bytes[offset ..< offset + size]`, e.g. a member
    /// of a zip archive) in place; tensors are views of `buffer` where the layout allows.
    public static func read(image buffer: TensorBuffer, offset: Int, size: Int, limits: HDF5Limits = HDF5Limits()) throws -> TensorStore {
        try HDF5.withLock {
            let read = { try readContents(HDF5File(image: buffer, offset: offset, size: size, limits: limits)) }
            try HDF5CrashGuard.survive(.image(buffer, offset: offset, size: size), limits: limits) { _ = try read() }
            return try read()
        }
    }

    static func readContents(_ file: HDF5File) throws -> TensorStore {
        let root = try file.root()
        if let legacyRoot = try KerasLayout.legacyWeightsGroup(in: file, root: root) {
            return try KerasLayout.readLegacy(file, root: root, weights: legacyRoot)
        }
        var walker = Walker(file: file)
        for (name, value) in try file.stringAttributes(of: root, path: "/") { walker.store.metadata[name] = value }
        try walker.walk(root, path: [], ancestors: [try file.address(of: root)])
        if !walker.skipped.isEmpty {
            walker.store.metadata[skippedKey] = JSONValue.object(JSONObject(walker.skipped.map { ($0.0, .string($0.1)) })).compactText
        }
        return walker.store
    }

    /// Depth-first walk of the group tree.
    struct Walker {
        let file: HDF5File
        var store = TensorStore()
        var skipped: [(String, String)] = []

        mutating func walk(_ group: HDF5Handle, path: [String], ancestors: Set<haddr_t>) throws {
            let groupPath = path.joined(separator: "/")
            for name in try file.linkNames(of: group, path: "/" + groupPath) {
                let childPath = path + [name]
                let display = "/" + childPath.joined(separator: "/")
                switch try file.open(name, in: group, path: display) {
                case let .group(child):
                    let address = try file.address(of: child)
                    guard !ancestors.contains(address) else { throw HDF5Error.linkCycle(link: display) }
                    for (attribute, value) in try file.stringAttributes(of: child, path: display) {
                        store.metadata[display + "@" + attribute] = value
                    }
                    try walk(child, path: childPath, ancestors: ancestors.union([address]))
                case let .dataset(dataset):
                    switch try file.tensor(of: dataset, path: display) {
                    case let .success(tensor): try store.add(childPath.joined(separator: "."), tensor)
                    case let .failure(skip): skipped.append((display, skip.reason))
                    }
                case .other:
                    continue
                }
            }
        }
    }
}
