import CHDF5
import LMZooCore

/// One HDF5 file opened read-only, with the bytes it came from (a memory map of the file, or a
/// member of a zip) so that contiguous datasets become zero-copy views. All methods must be
/// called under ``HDF5/withLock(_:)``; the handles close when the object goes away.
final class HDF5File {
    /// An object reached by a link: a group, a dataset, or something else (named datatype).
    enum Object {
        case group(HDF5Handle)
        case dataset(HDF5Handle)
        case other
    }

    let file: HDF5Handle
    /// A link access property list that refuses to traverse external links.
    let linkAccess: HDF5Handle
    /// The bytes of the whole file, and where the file starts inside them.
    let backing: TensorBuffer
    let backingOffset: Int
    let size: Int
    let limits: HDF5Limits
    /// The file's end of allocation (libhdf5's EOA; addresses are relative to ``baseAddress``); nil
    /// when neither libhdf5 nor the superblock tells it (object headers are then left to libhdf5).
    let endOfAllocation: haddr_t?
    /// Where address 0 lies in the file's bytes (the user block's size; 0 in most files).
    let baseAddress: haddr_t
    /// Links, datasets and attribute values visited so far (checked against the limit).
    private var visited = 0
    /// Tensors already read, by object address: two links to one dataset share one tensor.
    private var tensorsByAddress: [haddr_t: Tensor] = [:]

    /// Opens the file at `path`; `mapped` is a memory map of the same file.
    convenience init(path: String, mapped: MappedFile, limits: HDF5Limits) throws(HDF5Error) {
        let fapl = try HDF5.unlockedFileAccess()
        let id = withExtendedLifetime(fapl) { H5Fopen(path, lmzoo_H5F_ACC_RDONLY(), fapl.id) }
        try self.init(file: HDF5Handle.file(id, or: HDF5Error.cannotOpen), backing: TensorBuffer(mapping: mapped), offset: 0,
                      size: mapped.count, limits: limits)
    }

    /// Opens the file whose bytes are `backing.bytes[offset ..< offset + size]` in place (no copy).
    convenience init(image backing: TensorBuffer, offset: Int, size: Int, limits: HDF5Limits) throws(HDF5Error) {
        guard size > 0, offset >= 0, offset <= backing.bytes.count - size, let base = backing.bytes.baseAddress else {
            throw .cannotOpen("empty or out-of-bounds file image")
        }
        let fapl = try HDF5Handle.plist(H5Pcreate(lmzoo_H5P_FILE_ACCESS()), or: { .library("H5Pcreate", $0) })
        guard lmzoo_set_file_image_in_place(fapl.id, base + offset, size) >= 0 else {
            throw .library("H5Pset_file_image", HDF5.lastErrorMessage())
        }
        let id = H5Fopen("lmzoo-image.h5", lmzoo_H5F_ACC_RDONLY(), fapl.id)
        try self.init(file: HDF5Handle.file(id, or: HDF5Error.cannotOpen), backing: backing, offset: offset, size: size, limits: limits)
    }

    private init(file: HDF5Handle, backing: TensorBuffer, offset: Int, size: Int, limits: HDF5Limits) throws(HDF5Error) {
        self.file = file
        self.backing = backing
        self.backingOffset = offset
        self.size = size
        self.limits = limits
        linkAccess = try HDF5Handle.plist(H5Pcreate(lmzoo_H5P_LINK_ACCESS()), or: { .library("H5Pcreate", $0) })
        guard lmzoo_refuse_external_links(linkAccess.id) >= 0 else { throw .library("H5Pset_elink_cb", HDF5.lastErrorMessage()) }
        let fcpl = try HDF5Handle.plist(H5Fget_create_plist(file.id), or: { .library("H5Fget_create_plist", $0) })
        var userBlock: hsize_t = 0
        guard H5Pget_userblock(fcpl.id, &userBlock) >= 0 else { throw .library("H5Pget_userblock", HDF5.lastErrorMessage()) }
        baseAddress = haddr_t(clamping: userBlock)
        var eoa: haddr_t = 0
        if H5Fget_eoa(file.id, &eoa) >= 0 {
            endOfAllocation = eoa
        } else if userBlock < UInt64(size) {
            // In-memory images (the core driver): from the superblock, as libhdf5 computed it.
            let superblock = UnsafeRawBufferPointer(rebasing: backing.bytes[(offset + Int(userBlock)) ..< (offset + min(size, Int(userBlock) + 64))])
            endOfAllocation = HDF5ObjectHeader.endOfAllocation(superblock: superblock, superblockAddress: userBlock).map { haddr_t($0) }
        } else {
            endOfAllocation = nil
        }
    }

    /// The root group.
    func root() throws(HDF5Error) -> HDF5Handle {
        try HDF5Handle.group(H5Gopen2(file.id, "/", HDF5.defaultPlist), or: { .library("H5Gopen", $0) })
    }

    func count(_ n: Int = 1) throws(HDF5Error) {
        visited += n
        guard visited <= limits.maxObjects else { throw .tooManyObjects(limit: limits.maxObjects) }
    }

    // MARK: links

    /// The links of `group`, in creation order when the group tracks it, else by name.
    func linkNames(of group: HDF5Handle, path: String) throws(HDF5Error) -> [String] {
        var info = H5G_info_t()
        guard H5Gget_info(group.id, &info) >= 0 else { throw .library("H5Gget_info of '\(path)'", HDF5.lastErrorMessage()) }
        try count(Int(clamping: info.nlinks))
        var index = H5_INDEX_NAME
        if let gcpl = try? HDF5Handle.plist(H5Gget_create_plist(group.id), or: { .library("H5Gget_create_plist", $0) }) {
            var flags: UInt32 = 0
            if H5Pget_link_creation_order(gcpl.id, &flags) >= 0, flags & UInt32(H5P_CRT_ORDER_INDEXED) != 0 { index = H5_INDEX_CRT_ORDER }
        }
        var names: [String] = []
        for i in 0..<info.nlinks {
            let length = H5Lget_name_by_idx(group.id, ".", index, H5_ITER_INC, i, nil, 0, linkAccess.id)
            guard length >= 0, length < 1 << 16 else { throw .library("H5Lget_name_by_idx in '\(path)'", HDF5.lastErrorMessage()) }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            guard H5Lget_name_by_idx(group.id, ".", index, H5_ITER_INC, i, &buffer, buffer.count, linkAccess.id) >= 0 else {
                throw .library("H5Lget_name_by_idx in '\(path)'", HDF5.lastErrorMessage())
            }
            names.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return names
    }

    /// Opens the object `name` links to in `group`, refusing external, dangling and user-defined links.
    func open(_ name: String, in group: HDF5Handle, path: String) throws(HDF5Error) -> Object {
        var info = H5L_info_t()
        guard H5Lget_info(group.id, name, &info, linkAccess.id) >= 0 else {
            throw .library("H5Lget_info of '\(path)'", HDF5.lastErrorMessage())
        }
        switch info.type {
        case H5L_TYPE_HARD:
            try checkHeaderInsideFile(at: info.u.address, object: path)
        case H5L_TYPE_SOFT:
            let target = String(decoding: try linkValue(name, in: group, size: info.u.val_size, path: path).prefix { $0 != 0 }, as: UTF8.self)
            guard H5Oexists_by_name(group.id, name, linkAccess.id) > 0 else { throw .unresolvedSoftLink(link: path, target: target) }
            // The object the soft link reaches, when its last step is a hard link (checked like one).
            var targetInfo = H5L_info_t()
            if H5Lget_info(group.id, target, &targetInfo, linkAccess.id) >= 0, targetInfo.type == H5L_TYPE_HARD {
                try checkHeaderInsideFile(at: targetInfo.u.address, object: path)
            }
        case H5L_TYPE_EXTERNAL:
            // The names point into the value's bytes: copy them out while those are alive (a
            // trailing NUL beyond the value's size stops a name the file left unterminated).
            let value = try linkValue(name, in: group, size: info.u.val_size, path: path)
            let names = (value + [0]).withUnsafeBytes { bytes -> (file: String, object: String)? in
                var flags: UInt32 = 0
                var fileName: UnsafePointer<CChar>?, objectName: UnsafePointer<CChar>?
                guard H5Lunpack_elink_val(bytes.baseAddress, value.count, &flags, &fileName, &objectName) >= 0,
                      let fileName, let objectName else { return nil }
                return (String(cString: fileName), String(cString: objectName))
            }
            throw .externalLink(link: path, file: names?.file ?? "?", object: names?.object ?? "?")
        default:
            throw .unsupportedLink(link: path, type: Int(info.type.rawValue))
        }
        let object = try HDF5Handle.object(H5Oopen(group.id, name, linkAccess.id), or: { .library("H5Oopen of '\(path)'", $0) })
        switch H5Iget_type(object.id) {
        case H5I_GROUP: return .group(object)
        case H5I_DATASET: return .dataset(object)
        default: return .other
        }
    }

    /// Refuses an object whose header, as its prefix declares it, reaches past the end of allocation,
    /// before libhdf5 loads it (libhdf5 1.10 leaks the header when it finds that itself: see
    /// ``HDF5ObjectHeader``). A prefix lmzoo cannot read from the file's bytes is left to libhdf5.
    private func checkHeaderInsideFile(at address: haddr_t, object: String) throws(HDF5Error) {
        guard let endOfAllocation else { return }
        guard address < endOfAllocation else {
            throw .objectHeaderOutsideFile(object: object, address: UInt64(address), bytes: 0, endOfAllocation: UInt64(endOfAllocation))
        }
        let (start, overflow) = baseAddress.addingReportingOverflow(address)
        guard !overflow, start < UInt(size) else { return }
        let available = min(HDF5ObjectHeader.maxPrefixBytes, size - Int(start))
        let first = backingOffset + Int(start)
        guard let length = HDF5ObjectHeader.loadSize(UnsafeRawBufferPointer(rebasing: backing.bytes[first ..< first + available])) else { return }
        guard UInt64(length) <= endOfAllocation - address else {
            throw .objectHeaderOutsideFile(object: object, address: UInt64(address), bytes: length, endOfAllocation: UInt64(endOfAllocation))
        }
    }

    private func linkValue(_ name: String, in group: HDF5Handle, size: Int, path: String) throws(HDF5Error) -> [UInt8] {
        guard size >= 0, size < 1 << 20 else { throw .library("H5Lget_val of '\(path)'", "implausible link value size \(size)") }
        var value = [UInt8](repeating: 0, count: size + 1)
        guard H5Lget_val(group.id, name, &value, size, linkAccess.id) >= 0 else {
            throw .library("H5Lget_val of '\(path)'", HDF5.lastErrorMessage())
        }
        return Array(value.prefix(size))
    }

    /// The address of an object in the file (its identity).
    func address(of object: HDF5Handle) throws(HDF5Error) -> haddr_t {
        var info = H5O_info_t()
        guard H5Oget_info2(object.id, &info, UInt32(H5O_INFO_BASIC)) >= 0 else { throw .library("H5Oget_info", HDF5.lastErrorMessage()) }
        return info.addr
    }

    // MARK: attributes

    /// The string attributes of `object` (scalars as their text; 1-d arrays as a JSON array of strings),
    /// in name order. Attributes of other types are left out.
    func stringAttributes(of object: HDF5Handle, path: String) throws(HDF5Error) -> [(name: String, value: String)] {
        var info = H5O_info_t()
        guard H5Oget_info2(object.id, &info, UInt32(H5O_INFO_NUM_ATTRS)) >= 0 else { throw .library("H5Oget_info of '\(path)'", HDF5.lastErrorMessage()) }
        try count(Int(clamping: info.num_attrs))
        var result: [(String, String)] = []
        for i in 0..<info.num_attrs {
            let attribute = try HDF5Handle.attribute(
                H5Aopen_by_idx(object.id, ".", H5_INDEX_NAME, H5_ITER_INC, i, HDF5.defaultPlist, HDF5.defaultPlist),
                or: { .library("H5Aopen_by_idx of '\(path)'", $0) })
            let length = H5Aget_name(attribute.id, 0, nil)
            guard length >= 0, length < 1 << 16 else { throw .library("H5Aget_name of '\(path)'", HDF5.lastErrorMessage()) }
            var buffer = [CChar](repeating: 0, count: length + 1)
            H5Aget_name(attribute.id, buffer.count, &buffer)
            let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let values = try stringValues(of: attribute, object: path, name: name) {
                result.append((name, values.isScalar ? values.strings[0] : JSONValue.array(values.strings.map { .string($0) }).compactText))
            }
        }
        return result
    }

    /// The string attribute `name` of `object`, if it exists and holds strings.
    func stringAttribute(_ name: String, of object: HDF5Handle, path: String) throws(HDF5Error) -> (strings: [String], isScalar: Bool)? {
        guard H5Aexists(object.id, name) > 0 else { return nil }
        let attribute = try HDF5Handle.attribute(H5Aopen(object.id, name, HDF5.defaultPlist), or: { .library("H5Aopen of '\(path)'", $0) })
        return try stringValues(of: attribute, object: path, name: name)
    }

    /// Reads a string attribute (fixed-length or variable-length, scalar or 1-d); nil for other types and shapes.
    private func stringValues(of attribute: HDF5Handle, object: String, name: String) throws(HDF5Error) -> (strings: [String], isScalar: Bool)? {
        let failure = { (message: String) in HDF5Error.badAttribute(object: object, name: name, reason: message) }
        let type = try HDF5Handle.type(H5Aget_type(attribute.id), or: failure)
        guard H5Tget_class(type.id) == H5T_STRING else { return nil }
        let space = try HDF5Handle.space(H5Aget_space(attribute.id), or: failure)
        let count: Int
        let isScalar: Bool
        switch H5Sget_simple_extent_type(space.id) {
        case H5S_SCALAR: (count, isScalar) = (1, true)
        case H5S_NULL: return ([], false)
        default:
            guard H5Sget_simple_extent_ndims(space.id) == 1 else { return nil }
            let points = H5Sget_simple_extent_npoints(space.id)
            guard points >= 0 else { throw failure(HDF5.lastErrorMessage()) }
            (count, isScalar) = (Int(points), false)
        }
        try self.count(count)
        if count == 0 { return ([], isScalar) }
        var strings: [String] = []
        if H5Tis_variable_str(type.id) > 0 {
            let memory = try HDF5Handle.type(H5Tcopy(lmzoo_H5T_C_S1()), or: failure)
            H5Tset_size(memory.id, lmzoo_H5T_VARIABLE())
            H5Tset_cset(memory.id, H5Tget_cset(type.id))
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            guard H5Aread(attribute.id, memory.id, &pointers) >= 0 else { throw failure(HDF5.lastErrorMessage()) }
            defer { H5Dvlen_reclaim(memory.id, space.id, HDF5.defaultPlist, &pointers) }
            var total = 0
            for pointer in pointers {
                let text = pointer.map { String(cString: $0) } ?? ""
                total += text.utf8.count
                guard total <= limits.maxAttributeBytes else { throw .tooManyObjects(limit: limits.maxAttributeBytes) }
                strings.append(text)
            }
        } else {
            let width = H5Tget_size(type.id)
            guard width > 0, width <= limits.maxAttributeBytes, count <= limits.maxAttributeBytes / width else {
                throw .tooManyObjects(limit: limits.maxAttributeBytes)
            }
            let memory = try HDF5Handle.type(H5Tcopy(type.id), or: failure)
            var bytes = [UInt8](repeating: 0, count: width * count)
            guard H5Aread(attribute.id, memory.id, &bytes) >= 0 else { throw failure(HDF5.lastErrorMessage()) }
            let spacePadded = H5Tget_strpad(type.id) == H5T_STR_SPACEPAD
            for i in 0..<count {
                var value = bytes[(i * width)..<((i + 1) * width)].prefix { $0 != 0 }
                if spacePadded { while value.last == UInt8(ascii: " ") { value = value.dropLast() } }
                strings.append(String(decoding: value, as: UTF8.self))
            }
        }
        return (strings, isScalar)
    }

    // MARK: datasets

    /// The dataset's values as a tensor (a view of the file's bytes when they are contiguous and
    /// already lmzoo's), or the reason it holds no numbers.
    func tensor(of dataset: HDF5Handle, path: String) throws(HDF5Error) -> Result<Tensor, NonNumeric> {
        let address = try address(of: dataset)
        if let known = tensorsByAddress[address] { return .success(known) }
        let failure = { (message: String) in HDF5Error.library("reading '\(path)'", message) }
        let type = try HDF5Handle.type(H5Dget_type(dataset.id), or: failure)
        var bfloat16 = false
        if H5Aexists(dataset.id, "dtype") > 0, let marker = try stringAttribute("dtype", of: dataset, path: path) {
            bfloat16 = marker.isScalar && marker.strings == ["bfloat16"]
        }
        let classified = try HDF5Types.classify(type.id, dataset: path, bfloat16Attribute: bfloat16)
        guard case let .numeric(dtype, memoryType, sameBytes) = classified else {
            if case let .nonNumeric(reason) = classified { return .failure(NonNumeric(reason: reason)) }
            return .failure(NonNumeric(reason: "unknown"))
        }
        let space = try HDF5Handle.space(H5Dget_space(dataset.id), or: failure)
        let shape: [Int]
        switch H5Sget_simple_extent_type(space.id) {
        case H5S_SCALAR: shape = []
        case H5S_SIMPLE:
            let rank = H5Sget_simple_extent_ndims(space.id)
            guard rank >= 0, rank <= 32 else { throw failure(HDF5.lastErrorMessage()) }
            var dims = [hsize_t](repeating: 0, count: Int(rank))
            guard H5Sget_simple_extent_dims(space.id, &dims, nil) == rank else { throw failure(HDF5.lastErrorMessage()) }
            guard dims.allSatisfy({ $0 <= UInt64(Int.max) }) else { throw .shapeOverflow(dataset: path) }
            shape = dims.map { Int($0) }
        default: return .failure(NonNumeric(reason: "null dataspace"))
        }
        guard let byteCount = dtype.byteCount(forShape: shape) else { throw .shapeOverflow(dataset: path) }
        guard byteCount <= limits.maxDatasetBytes else { throw .datasetTooLarge(dataset: path, bytes: byteCount, limit: limits.maxDatasetBytes) }

        let dcpl = try HDF5Handle.plist(H5Dget_create_plist(dataset.id), or: failure)
        let externalFiles = H5Pget_external_count(dcpl.id)
        guard externalFiles == 0 else { throw .externalStorage(dataset: path, files: Int(externalFiles)) }
        let layout = H5Pget_layout(dcpl.id)
        guard layout != H5D_VIRTUAL else { throw .virtualDataset(dataset: path) }
        let filterCount = H5Pget_nfilters(dcpl.id)
        guard filterCount >= 0 else { throw failure(HDF5.lastErrorMessage()) }
        for index in 0..<UInt32(filterCount) {
            var flags: UInt32 = 0, valueCount = 0, config: UInt32 = 0
            var name = [CChar](repeating: 0, count: 256)
            let id = H5Pget_filter2(dcpl.id, index, &flags, &valueCount, nil, name.count, &name, &config)
            guard [H5Z_FILTER_DEFLATE, H5Z_FILTER_SHUFFLE, H5Z_FILTER_FLETCHER32].contains(id) else {
                let text = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                throw .unsupportedFilter(dataset: path, id: Int(id), name: text.isEmpty ? "unnamed" : text)
            }
        }

        let tensor: Tensor
        if byteCount == 0 {
            tensor = try make { try Tensor(zeros: dtype, shape: shape) }
        } else if layout == H5D_CONTIGUOUS, sameBytes, case let address = H5Dget_offset(dataset.id), address != lmzoo_HADDR_UNDEF() {
            let offset = UInt64(address)
            let stored = Int(clamping: H5Dget_storage_size(dataset.id))
            guard stored == byteCount else { throw .storageSizeMismatch(dataset: path, expected: byteCount, stored: stored) }
            guard offset <= UInt64(size), UInt64(byteCount) <= UInt64(size) - offset else {
                throw .dataOutsideFile(dataset: path, offset: offset, bytes: byteCount, fileSize: size)
            }
            tensor = try make { try Tensor(dtype: dtype, shape: shape, buffer: backing, byteOffset: backingOffset + Int(offset)) }
        } else {
            if filterCount > 0 {
                let stored = Int(clamping: H5Dget_storage_size(dataset.id))
                if byteCount > limits.bombFloorBytes, byteCount / limits.maxExpansion > stored {
                    throw .compressionBomb(dataset: path, declared: byteCount, stored: stored)
                }
            }
            let owned = try make { try Tensor(zeros: dtype, shape: shape) }
            guard let destination = owned.buffer.mutableBytes?.baseAddress,
                  H5Dread(dataset.id, memoryType.id, lmzoo_H5S_ALL(), lmzoo_H5S_ALL(), HDF5.defaultPlist, destination) >= 0
            else { throw failure(HDF5.lastErrorMessage()) }
            tensor = owned
        }
        tensorsByAddress[address] = tensor
        return .success(tensor)
    }

    /// Why a dataset was skipped.
    struct NonNumeric: Error {
        let reason: String
    }

    private func make(_ body: () throws -> Tensor) throws(HDF5Error) -> Tensor {
        do { return try body() } catch { throw .library("allocating a tensor", "\(error)") }
    }
}
