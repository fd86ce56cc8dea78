import CHDF5
import LMZooCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes a ``TensorStore`` as an HDF5 file: one contiguous dataset per tensor, groups from the
/// dotted names (`a.b.c` -> group `a/b`, dataset `c`, so `layers.dense.vars.0` is Keras 3's
/// layout), metadata as variable-length UTF-8 string attributes of the root, and keys of the form
/// `/<group path>@<attribute>` (as ``HDF5Reader`` produces them) as attributes of that group.
///
/// Element types are little-endian; F16 is h5py's half type, BOOL h5py's FALSE/TRUE enum, and BF16
/// a 2-byte opaque type with the attribute `dtype = "bfloat16"` (what Keras 3 writes through h5py,
/// and what it reads back as bfloat16). Links track creation order, so lmzoo reads tensors back in
/// the order they were written. With ``SharedTensorPolicy/writeOnce`` a tied tensor is written
/// once and its other names are hard links to the same dataset.
///
/// The file is created at a temporary path beside the destination, closed, fsynced and renamed;
/// tensors are written straight from their (mapped) bytes, or converted through a bounded buffer
/// one hyperslab at a time.
public enum HDF5Writer {
    /// Writes `store` to `path` atomically.
    @discardableResult
    public static func write(_ store: TensorStore, to path: String, options: WriteOptions = WriteOptions()) throws -> WriteSummary {
        let temporary = try AtomicFileWriter(destination: path, named: true)
        let count = try LocatedError.at(path) {
            try writeFile(store, at: temporary.temporaryPath, options: options, keepMetadata: { $0 != HDF5Reader.skippedKey },
                          afterEachDataset: temporary.startWriteback)
        }
        try temporary.commit()
        var info = stat()
        let size = stat(path, &info) == 0 ? Int(info.st_size) : 0
        return WriteSummary(path: path, tensorCount: count, byteCount: size)
    }

    /// Writes the HDF5 file at `path` (not atomically: callers write to a temporary path) and
    /// returns the number of datasets and hard links written. Metadata keys for which
    /// `keepMetadata` is false are left out.
    static func writeFile(_ store: TensorStore, at path: String, options: WriteOptions,
                          keepMetadata: (String) -> Bool, afterEachDataset: () -> Void = {}) throws -> Int {
        let plan = try Plan(store: store, options: options, metadata: store.metadata.filter { keepMetadata($0.key) })
        return try HDF5.withLock {
            let fcpl = try HDF5Handle.plist(H5Pcreate(lmzoo_H5P_FILE_CREATE()), or: { .library("H5Pcreate", $0) })
            let gcpl = try HDF5Handle.plist(H5Pcreate(lmzoo_H5P_GROUP_CREATE()), or: { .library("H5Pcreate", $0) })
            let order = UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED)
            H5Pset_link_creation_order(fcpl.id, order)
            H5Pset_link_creation_order(gcpl.id, order)
            let fapl = try HDF5.unlockedFileAccess()
            let created = withExtendedLifetime((fcpl, fapl)) { H5Fcreate(path, lmzoo_H5F_ACC_TRUNC(), fcpl.id, fapl.id) }
            let file = try HDF5Handle.file(created, or: { .library("H5Fcreate", $0) })
            try populate(file, plan: plan, groupCreation: gcpl, afterEachDataset: afterEachDataset)
            // Every group and dataset handle is closed by now, so this close really closes (and flushes) the file.
            try file.closeChecked()
            return plan.items.count
        }
    }

    /// Writes the attributes, groups and datasets of `plan` into the open `file`.
    private static func populate(_ file: HDF5Handle, plan: Plan, groupCreation: HDF5Handle, afterEachDataset: () -> Void) throws {
        var session = Session(root: try HDF5Handle.group(H5Gopen2(file.id, "/", HDF5.defaultPlist), or: { .library("H5Gopen", $0) }),
                              groupCreation: groupCreation)
        for (name, value) in plan.rootAttributes { try writeStringAttribute(name, value, to: session.root) }
        var scratch: [UInt8] = []
        for item in plan.items {
            let group = try session.group(Array(item.path.dropLast()))
            let leaf = item.path.last!
            if let original = item.linkTo {
                guard H5Lcreate_hard(session.root.id, "/" + original.joined(separator: "/"), group.id, leaf,
                                     HDF5.defaultPlist, HDF5.defaultPlist) >= 0
                else { throw HDF5Error.library("H5Lcreate_hard '\(item.name)'", HDF5.lastErrorMessage()) }
                continue
            }
            try writeDataset(item, leaf: leaf, in: group, scratch: &scratch)
            afterEachDataset()
        }
        // Group attributes last, so that groups are created in the order of the tensors in them.
        for (groupPath, name, value) in plan.groupAttributes {
            try writeStringAttribute(name, value, to: try session.group(groupPath))
        }
    }

    /// One tensor to write: its HDF5 path, the dtype it is written as, or the path of the dataset it is a hard link to.
    struct Item {
        let name: String
        let path: [String]
        let tensor: Tensor
        let dtype: DType
        let linkTo: [String]?
    }

    /// Everything checked before the file is created: names, conflicts, dtypes, attributes.
    struct Plan {
        var items: [Item] = []
        var rootAttributes: [(String, String)] = []
        var groupAttributes: [([String], String, String)] = []

        init(store: TensorStore, options: WriteOptions, metadata: [String: String]) throws {
            let aliases = options.sharedTensors == .writeOnce
                ? Dictionary(store.aliases().map { ($0.alias, $0.original) }, uniquingKeysWith: { first, _ in first }) : [:]
            var datasets: [String: String] = [:]  // HDF5 path -> tensor name
            var groups: [String: String] = [:]  // group path -> a tensor inside it
            for (name, tensor) in store.entries {
                let components = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                guard components.allSatisfy({ !$0.isEmpty && !$0.contains("/") }) else { throw HDF5Error.invalidName(name) }
                let dtype = options.targetDType(for: tensor.dtype)
                guard !dtype.isBlockQuantized else { throw FormatCapabilityError.cannotHold(format: "h5", dtype: dtype) }
                guard dtype.byteCount(forShape: tensor.shape) != nil else { throw TensorError.shapeOverflow(shape: tensor.shape, dtype: dtype) }
                let key = components.joined(separator: "/")
                if let other = groups[key] { throw HDF5Error.nameConflict(tensor: name, other: other) }
                for depth in 1..<components.count {
                    let prefix = components[..<depth].joined(separator: "/")
                    if let other = datasets[prefix] { throw HDF5Error.nameConflict(tensor: other, other: name) }
                    groups[prefix] = groups[prefix] ?? name
                }
                datasets[key] = name
                let link = aliases[name].map { $0.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }
                items.append(Item(name: name, path: components, tensor: tensor, dtype: dtype, linkTo: link))
            }
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                if key.hasPrefix("/"), let at = key.lastIndex(of: "@"), at != key.index(after: key.startIndex) {
                    let path = key[key.index(after: key.startIndex)..<at].split(separator: "/").map(String.init)
                    let attribute = String(key[key.index(after: at)...])
                    if !path.isEmpty, !attribute.isEmpty {
                        if let other = datasets[path.joined(separator: "/")] { throw HDF5Error.nameConflict(tensor: other, other: key) }
                        groupAttributes.append((path, attribute, value))
                        continue
                    }
                }
                rootAttributes.append((key, value))
            }
        }
    }

    /// Open groups by path, created on first use.
    struct Session {
        let root: HDF5Handle
        let groupCreation: HDF5Handle
        var groups: [[String]: HDF5Handle] = [:]

        mutating func group(_ path: [String]) throws(HDF5Error) -> HDF5Handle {
            if path.isEmpty { return root }
            if let open = groups[path] { return open }
            let parent = try group(Array(path.dropLast()))
            let name = path.last!
            let id = H5Lexists(parent.id, name, HDF5.defaultPlist) > 0
                ? H5Gopen2(parent.id, name, HDF5.defaultPlist)
                : H5Gcreate2(parent.id, name, HDF5.defaultPlist, groupCreation.id, HDF5.defaultPlist)
            let handle = try HDF5Handle.group(id, or: { .library("creating group '/\(path.joined(separator: "/"))'", $0) })
            groups[path] = handle
            return handle
        }
    }

    private static func writeDataset(_ item: Item, leaf: String, in group: HDF5Handle, scratch: inout [UInt8]) throws {
        let failure = { (message: String) in HDF5Error.library("writing '\(item.name)'", message) }
        let type = try HDF5Types.fileType(for: item.dtype)
        let shape = item.tensor.shape
        let dims = shape.map { hsize_t($0) }
        let space = try HDF5Handle.space(shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil), or: failure)
        let dataset = try HDF5Handle.dataset(
            H5Dcreate2(group.id, leaf, type.id, space.id, HDF5.defaultPlist, HDF5.defaultPlist, HDF5.defaultPlist), or: failure)
        if item.dtype == .bf16 { try writeStringAttribute("dtype", "bfloat16", to: dataset) }
        let tensor = item.tensor
        guard tensor.elementCount > 0 else { return }
        if item.dtype == tensor.dtype {
            let status = tensor.withUnsafeBytes { bytes in
                H5Dwrite(dataset.id, type.id, lmzoo_H5S_ALL(), lmzoo_H5S_ALL(), HDF5.defaultPlist, bytes.baseAddress)
            }
            guard status >= 0 else { throw failure(HDF5.lastErrorMessage()) }
            return
        }
        // Converted: one box of whole trailing rows at a time, through a buffer of at most `chunk` values.
        let chunk = 1 << 18
        var axis = shape.count - 1, inner = 1
        while axis > 0, inner * shape[axis] <= chunk {
            inner *= shape[axis]
            axis -= 1
        }
        let rowsPerBox = shape.isEmpty ? 1 : max(1, chunk / inner)
        let needed = item.dtype.byteCount(elements: min(tensor.elementCount, rowsPerBox * inner))!
        if scratch.count < needed { scratch = [UInt8](repeating: 0, count: needed) }
        let fileSpace = try HDF5Handle.space(H5Dget_space(dataset.id), or: failure)
        let outerDims = shape.isEmpty ? [] : Array(shape[..<axis])
        let outer = outerDims.reduce(1, *)
        let axisLength = shape.isEmpty ? 1 : shape[axis]
        try tensor.withUnsafeBytes { source in
            for o in 0..<outer {
                var r = 0
                while r < axisLength {
                    let rows = min(rowsPerBox, axisLength - r)
                    let first = (o * axisLength + r) * inner, count = rows * inner
                    let input = UnsafeRawBufferPointer(rebasing: source[tensor.dtype.byteCount(elements: first)!..<tensor.dtype.byteCount(elements: first + count)!])
                    try scratch.withUnsafeMutableBytes { buffer in
                        let output = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<item.dtype.byteCount(elements: count)!])
                        try DTypeConversion.convert(input, from: tensor.dtype, to: item.dtype, into: output)
                        if shape.isEmpty {
                            guard H5Dwrite(dataset.id, type.id, lmzoo_H5S_ALL(), lmzoo_H5S_ALL(), HDF5.defaultPlist, output.baseAddress) >= 0 else {
                                throw failure(HDF5.lastErrorMessage())
                            }
                            return
                        }
                        var start = [hsize_t](repeating: 0, count: shape.count), extent = [hsize_t](repeating: 1, count: shape.count)
                        var rest = o
                        for d in stride(from: axis - 1, through: 0, by: -1) {
                            start[d] = hsize_t(rest % shape[d])
                            rest /= shape[d]
                        }
                        start[axis] = hsize_t(r)
                        extent[axis] = hsize_t(rows)
                        for d in (axis + 1)..<max(axis + 1, shape.count) { extent[d] = hsize_t(shape[d]) }
                        let memory = try HDF5Handle.space(H5Screate_simple(1, [hsize_t(count)], nil), or: failure)
                        guard H5Sselect_hyperslab(fileSpace.id, H5S_SELECT_SET, start, nil, extent, nil) >= 0,
                              H5Dwrite(dataset.id, type.id, memory.id, fileSpace.id, HDF5.defaultPlist, output.baseAddress) >= 0
                        else { throw failure(HDF5.lastErrorMessage()) }
                    }
                    r += rows
                }
            }
        }
    }

    /// A scalar variable-length UTF-8 string attribute (what h5py writes for a Python `str`).
    static func writeStringAttribute(_ name: String, _ value: String, to object: HDF5Handle) throws(HDF5Error) {
        let failure = { (message: String) in HDF5Error.library("writing attribute '\(name)'", message) }
        let type = try HDF5Handle.type(H5Tcopy(lmzoo_H5T_C_S1()), or: failure)
        H5Tset_size(type.id, lmzoo_H5T_VARIABLE())
        H5Tset_cset(type.id, H5T_CSET_UTF8)
        let space = try HDF5Handle.space(H5Screate(H5S_SCALAR), or: failure)
        let attribute = try HDF5Handle.attribute(
            H5Acreate2(object.id, name, type.id, space.id, HDF5.defaultPlist, HDF5.defaultPlist), or: failure)
        let status = value.withCString { text in
            var pointer: UnsafePointer<CChar>? = text
            return H5Awrite(attribute.id, type.id, &pointer)
        }
        guard status >= 0 else { throw failure(HDF5.lastErrorMessage()) }
    }
}
