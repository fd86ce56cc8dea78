import CZip
import LMZooCore

/// A read-only zip archive (`.npz`, PyTorch `.bin`/`.pt`, Keras `.keras`) parsed with bounds checks
/// from a memory map. Stored entries are handed out zero-copy; deflated ones are inflated through
/// libzip into owned memory, after checking the declared size against ``ZipLimits``.
public final class ZipArchive: @unchecked Sendable {
    /// One member of the archive.
    public struct Entry: Sendable, Equatable {
        public let name: String
        /// 0 = stored, 8 = deflated.
        public let method: UInt16
        public let compressedSize: Int
        public let size: Int
        public let crc32: UInt32
        /// File offset of the entry's (possibly compressed) bytes.
        public let dataOffset: Int
    }

    public let path: String
    public let file: MappedFile
    /// Entries in central-directory order.
    public let entries: [Entry]
    private let byName: [String: Int]
    private let limits: ZipLimits

    /// Maps and parses `path`; throws ``ZipError`` (wrapped in ``LocatedError``) for anything malformed or unsafe.
    public init(path: String, limits: ZipLimits = ZipLimits()) throws {
        self.path = path
        self.limits = limits
        let mapped = try MappedFile(path: path)
        file = mapped
        let parsed = try LocatedError.at(path) { try ZipDirectoryParser.parse(mapped.bytes, limits: limits) }
        entries = parsed
        var index: [String: Int] = [:]
        for (i, entry) in parsed.enumerated() { index[entry.name] = i }
        byName = index
    }

    /// The entry called `name`.
    public func entry(named name: String) -> Entry? { byName[name].map { entries[$0] } }

    /// The uncompressed bytes of `entry`: a view into the map for stored entries, an owned buffer
    /// for deflated ones. Returns the buffer and the range of the entry's bytes in it.
    public func contents(of entry: Entry) throws -> (buffer: TensorBuffer, offset: Int) {
        if entry.method == 0 { return (TensorBuffer(mapping: file), entry.dataOffset) }
        return (try LocatedError.at(path) { try inflate(entry) }, 0)
    }

    /// The bytes of `entry` copied into an array (for small members: headers, JSON, pickles).
    public func bytes(of entry: Entry) throws -> [UInt8] {
        let (buffer, offset) = try contents(of: entry)
        return Array(buffer.bytes[offset..<(offset + entry.size)])
    }

    private func inflate(_ entry: Entry) throws -> TensorBuffer {
        guard entry.size <= limits.maxInflatedEntrySize else {
            throw ZipError.entryTooLarge(entry.name, size: entry.size, limit: limits.maxInflatedEntrySize)
        }
        var error: Int32 = 0
        guard let archive = zip_open(path, ZIP_RDONLY, &error) else { throw ZipError.libzip("cannot open archive (libzip error \(error))") }
        defer { zip_discard(archive) }
        let index = zip_name_locate(archive, entry.name, ZIP_FL_ENC_RAW)
        guard index >= 0, let member = zip_fopen_index(archive, zip_uint64_t(index), 0) else {
            throw ZipError.libzip("cannot open member '\(entry.name)': \(String(cString: zip_strerror(archive)))")
        }
        defer { zip_fclose(member) }
        let buffer = TensorBuffer(zeroedByteCount: entry.size)
        var filled = 0
        let destination = buffer.mutableBytes!
        while filled < entry.size {
            let n = zip_fread(member, destination.baseAddress! + filled, zip_uint64_t(entry.size - filled))
            guard n > 0 else { throw ZipError.libzip("member '\(entry.name)' is corrupt: \(String(cString: zip_file_strerror(member)))") }
            filled += Int(n)
        }
        var extra: UInt8 = 0
        guard zip_fread(member, &extra, 1) == 0 else { throw ZipError.libzip("member '\(entry.name)' inflates past its declared size") }
        return buffer
    }
}

/// Limits applied before anything is allocated for an archive.
public struct ZipLimits: Sendable {
    /// Most entries in one archive.
    public var maxEntries = ReaderLimits.zipEntries
    /// Largest entry lmzoo will inflate into memory.
    public var maxInflatedEntrySize = ReaderLimits.inflatedEntryBytes
    /// Largest sum of the declared sizes of the deflated entries of one archive.
    public var maxInflatedTotal = ReaderLimits.inflatedTotalBytes
    /// Most inflated bytes per compressed byte of a deflated entry over ``ratioGraceBytes``.
    public var maxCompressionRatio = ReaderLimits.compressionRatio
    public var ratioGraceBytes = ReaderLimits.compressionRatioGraceBytes

    public init() {}

    /// True when a deflated entry of `compressed` bytes may declare `size` inflated bytes.
    func ratioAllows(size: Int, compressed: Int) -> Bool {
        let (limit, overflow) = compressed.multipliedReportingOverflow(by: maxCompressionRatio)
        return size <= ratioGraceBytes || overflow || size <= limit
    }
}

/// Why a zip archive was refused.
public enum ZipError: Error, Equatable, CustomStringConvertible {
    case noEndOfCentralDirectory
    case truncated(String)
    case tooManyEntries(Int)
    case badSignature(String)
    case unsafeName(String)
    case duplicateName(String)
    case encrypted(String)
    case unsupportedMethod(String, UInt16)
    case implausibleSize(String)
    case entryTooLarge(String, size: Int, limit: Int)
    /// A deflated entry declares more than ``ZipLimits/maxCompressionRatio`` times its compressed size (a zip bomb).
    case compressionRatio(String, size: Int, compressed: Int, limit: Int)
    /// The deflated entries together declare more than ``ZipLimits/maxInflatedTotal`` bytes.
    case inflatedTotalTooLarge(total: Int, limit: Int)
    case libzip(String)

    public var description: String {
        switch self {
        case .noEndOfCentralDirectory: "zip: no end-of-central-directory record (not a zip archive, or truncated)"
        case let .truncated(what): "zip: \(what) lies outside the file (truncated?)"
        case let .tooManyEntries(n): "zip: \(n) entries exceed the limit"
        case let .badSignature(what): "zip: bad signature of \(what)"
        case let .unsafeName(name): "zip: entry name '\(name)' is absolute or contains '..'"
        case let .duplicateName(name): "zip: entry '\(name)' appears twice"
        case let .encrypted(name): "zip: entry '\(name)' is encrypted"
        case let .unsupportedMethod(name, method): "zip: entry '\(name)' uses compression method \(method) (only stored and deflate are supported)"
        case let .implausibleSize(name): "zip: entry '\(name)' declares sizes that cannot be right"
        case let .entryTooLarge(name, size, limit): "zip: entry '\(name)' inflates to \(size) bytes, over the \(limit)-byte limit"
        case let .compressionRatio(name, size, compressed, limit):
            "zip: entry '\(name)' declares \(size) bytes from \(compressed) compressed, over the compression ratio limit of \(limit):1 (zip bomb?)"
        case let .inflatedTotalTooLarge(total, limit):
            "zip: deflated entries declare \(total) bytes in all, over the \(limit)-byte total limit (zip bomb?)"
        case let .libzip(message): "zip: \(message)"
        }
    }
}

/// CRC-32 (zlib's), as zip archives use it.
public struct CRC32: Sendable {
    public private(set) var value: UInt32 = 0
    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, Int(UInt32.max))
            value = UInt32(crc32(uLong(value), bytes.baseAddress!.assumingMemoryBound(to: Bytef.self) + offset, uInt(n)))
            offset += n
        }
    }
}
