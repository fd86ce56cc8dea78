/// The size of an HDF5 object header as its own prefix declares it, read from the file's bytes
/// before libhdf5 loads the header.
///
/// Why: libhdf5 1.10 (Debian's 1.10.8) reads a header's prefix, allocates the header, and only
/// then checks that the declared size fits below the file's end of allocation (EOA). When it does
/// not ("actual len exceeds EOA"), the call fails and the allocated header is never freed: one
/// leaked object header per attempt, which also makes `H5close` at process exit loop 100 times and
/// print "HDF5: infinite loop closing library" (HDF5 GitHub issue #3790, fixed upstream in 1.14.5 by
/// pull request #4445). lmzoo computes the same size and refuses such a header itself.
enum HDF5ObjectHeader {
    /// Bytes enough for the longest prefix (version 2, with times and attribute phase change values).
    static let maxPrefixBytes = 4 + 1 + 1 + 16 + 4 + 8

    /// The bytes libhdf5 loads for the header starting at `bytes[0]`: the prefix plus the first chunk
    /// (and, for version 2, the checksum), as libhdf5 1.10's `H5O_SIZEOF_HDR` + chunk 0 size. nil when
    /// the bytes are not a header prefix lmzoo recognises (libhdf5 then refuses them itself).
    static func loadSize(_ bytes: UnsafeRawBufferPointer) -> Int? {
        // Version 1: version 1, reserved, message count (2), link count (4), chunk 0 size (4), 4 bytes padding.
        if bytes.count >= 16, bytes[0] == 1 {
            return 16 + Int(littleEndian(bytes, at: 8, width: 4))
        }
        // Version 2: "OHDR", version 2, flags, [times: 16], [attribute phase change: 4],
        // chunk 0 size (1 << (flags & 3) bytes), ..., checksum (4).
        guard bytes.count >= 6, Array(bytes[0 ..< 4]) == Array("OHDR".utf8), bytes[4] == 2 else { return nil }
        let flags = bytes[5]
        var prefix = 6
        if flags & 0x20 != 0 { prefix += 16 }
        if flags & 0x10 != 0 { prefix += 4 }
        let width = 1 << Int(flags & 0x03)
        guard bytes.count >= prefix + width else { return nil }
        let chunk0 = littleEndian(bytes, at: prefix, width: width)
        guard chunk0 <= UInt64(Int.max / 2) else { return Int.max }
        return prefix + width + Int(chunk0) + 4
    }

    /// The end of allocation libhdf5 1.10 sets when it opens a file whose superblock starts at
    /// `bytes[0]` (`superblockAddress` bytes into the file, i.e. the user block's size): the stored
    /// end-of-file address, moved like libhdf5 moves it when the stored base address is not where the
    /// superblock was found. For files opened from memory, where `H5Fget_eoa` is not available (it
    /// needs a SWMR-capable driver). nil when the bytes are not a superblock lmzoo recognises.
    static func endOfAllocation(superblock bytes: UnsafeRawBufferPointer, superblockAddress: UInt64) -> UInt64? {
        guard bytes.count >= 9, Array(bytes[0 ..< 8]) == [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A] else { return nil }
        // Versions 0 and 1: size of offsets at 13, addresses (base, free space, end of file) from 24 (28 in version 1).
        // Versions 2 and 3: size of offsets at 9, addresses (base, extension, end of file) from 12.
        let (sizeAt, addressesAt): (Int, Int)
        switch bytes[8] {
        case 0: (sizeAt, addressesAt) = (13, 24)
        case 1: (sizeAt, addressesAt) = (13, 28)
        case 2, 3: (sizeAt, addressesAt) = (9, 12)
        default: return nil
        }
        guard bytes.count > sizeAt else { return nil }
        let width = Int(bytes[sizeAt])
        guard [2, 4, 8].contains(width), bytes.count >= addressesAt + 3 * width else { return nil }
        let base = littleEndian(bytes, at: addressesAt, width: width)
        let storedEnd = littleEndian(bytes, at: addressesAt + 2 * width, width: width)
        return storedEnd &- (base &- superblockAddress)
    }

    private static func littleEndian(_ bytes: UnsafeRawBufferPointer, at offset: Int, width: Int) -> UInt64 {
        (0 ..< width).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }
}
