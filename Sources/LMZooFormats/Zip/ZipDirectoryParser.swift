import LMZooCore

/// Parses a zip's central directory (with Zip64) from the whole file's bytes, checking every
/// offset and length against the file before using it.
enum ZipDirectoryParser {
    static func parse(_ bytes: UnsafeRawBufferPointer, limits: ZipLimits) throws -> [ZipArchive.Entry] {
        let reader = ByteReader(bytes)
        let end = try findEndOfCentralDirectory(reader)
        var count = Int(try reader.u16(end + 10))
        var directorySize = Int(try reader.u32(end + 12))
        var directoryOffset = Int(try reader.u32(end + 16))
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            (count, directorySize, directoryOffset) = try readZip64End(reader, endOfDirectory: end)
        }
        guard count <= limits.maxEntries else { throw ZipError.tooManyEntries(count) }
        guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset,
              count <= directorySize / 46
        else { throw ZipError.truncated("the central directory") }

        var entries: [ZipArchive.Entry] = []
        entries.reserveCapacity(count)
        var seen = Set<String>()
        var position = directoryOffset
        var inflatedTotal = 0
        for _ in 0..<count {
            guard try reader.u32(position) == 0x0201_4B50 else { throw ZipError.badSignature("a central directory entry") }
            let flags = try reader.u16(position + 8)
            let method = try reader.u16(position + 10)
            let crc = try reader.u32(position + 16)
            var compressed = Int(try reader.u32(position + 20))
            var size = Int(try reader.u32(position + 24))
            let nameLength = Int(try reader.u16(position + 28))
            let extraLength = Int(try reader.u16(position + 30))
            let commentLength = Int(try reader.u16(position + 32))
            var localOffset = Int(try reader.u32(position + 42))
            let nameBytes = try reader.slice(position + 46, nameLength, what: "an entry name")
            let name = String(decoding: nameBytes, as: UTF8.self)
            let extra = try reader.slice(position + 46 + nameLength, extraLength, what: "an extra field")
            try applyZip64Extra(extra, size: &size, compressed: &compressed, offset: &localOffset, name: name)
            position += 46 + nameLength + extraLength + commentLength

            guard isSafe(name), !nameBytes.contains(0) else { throw ZipError.unsafeName(name) }
            guard seen.insert(name).inserted else { throw ZipError.duplicateName(name) }
            guard flags & 1 == 0 else { throw ZipError.encrypted(name) }
            guard method == 0 || method == 8 else { throw ZipError.unsupportedMethod(name, method) }
            guard method != 0 || size == compressed, method != 8 || size <= compressed &* 1032 &+ 1024 else {
                throw ZipError.implausibleSize(name)
            }
            if method == 8 {
                guard limits.ratioAllows(size: size, compressed: compressed) else {
                    throw ZipError.compressionRatio(name, size: size, compressed: compressed, limit: limits.maxCompressionRatio)
                }
                let (total, overflow) = inflatedTotal.addingReportingOverflow(size)
                inflatedTotal = overflow ? Int.max : total
                guard inflatedTotal <= limits.maxInflatedTotal else {
                    throw ZipError.inflatedTotalTooLarge(total: inflatedTotal, limit: limits.maxInflatedTotal)
                }
            }
            guard try reader.u32(localOffset) == 0x0403_4B50 else { throw ZipError.badSignature("the local header of '\(name)'") }
            let dataOffset = localOffset + 30 + Int(try reader.u16(localOffset + 26)) + Int(try reader.u16(localOffset + 28))
            guard dataOffset <= bytes.count, compressed <= bytes.count - dataOffset else { throw ZipError.truncated("the data of '\(name)'") }
            entries.append(ZipArchive.Entry(name: name, method: method, compressedSize: compressed, size: size, crc32: crc, dataOffset: dataOffset))
        }
        return entries
    }

    /// Entry names must be relative and free of `..` (zip-slip), as every extractor should demand.
    static func isSafe(_ name: String) -> Bool {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.hasPrefix("\\") else { return false }
        let parts = name.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        return !parts.contains("..") && !(parts.first?.contains(":") ?? false)
    }

    private static func findEndOfCentralDirectory(_ reader: ByteReader) throws -> Int {
        let size = reader.bytes.count
        guard size >= 22 else { throw ZipError.noEndOfCentralDirectory }
        var position = size - 22
        let lowest = max(0, size - 22 - 0xFFFF)
        while position >= lowest {
            if try reader.u32(position) == 0x0605_4B50, position + 22 + Int(try reader.u16(position + 20)) == size {
                return position
            }
            position -= 1
        }
        throw ZipError.noEndOfCentralDirectory
    }

    private static func readZip64End(_ reader: ByteReader, endOfDirectory: Int) throws -> (Int, Int, Int) {
        let locator = endOfDirectory - 20
        guard locator >= 0, try reader.u32(locator) == 0x0706_4B50 else { throw ZipError.badSignature("the Zip64 locator") }
        let record = try reader.int64(locator + 8)
        guard try reader.u32(record) == 0x0606_4B50 else { throw ZipError.badSignature("the Zip64 end record") }
        return (try reader.int64(record + 32), try reader.int64(record + 40), try reader.int64(record + 48))
    }

    /// The Zip64 extra field (id 1) holds, in order, whichever of size / compressed size / offset
    /// were 0xFFFFFFFF in the fixed header.
    private static func applyZip64Extra(_ extra: UnsafeRawBufferPointer, size: inout Int, compressed: inout Int, offset: inout Int, name: String) throws {
        let reader = ByteReader(extra)
        var position = 0
        while position + 4 <= extra.count {
            let id = try reader.u16(position)
            let length = Int(try reader.u16(position + 2))
            if id == 1 {
                var field = position + 4
                for value in [\Fields.size, \Fields.compressed, \Fields.offset] {
                    var fields = Fields(size: size, compressed: compressed, offset: offset)
                    guard fields[keyPath: value] == 0xFFFF_FFFF else { continue }
                    guard field + 8 <= position + 4 + length else { throw ZipError.implausibleSize(name) }
                    fields[keyPath: value] = try reader.int64(field)
                    (size, compressed, offset) = (fields.size, fields.compressed, fields.offset)
                    field += 8
                }
            }
            position += 4 + length
        }
    }

    private struct Fields {
        var size: Int
        var compressed: Int
        var offset: Int
    }
}

/// Bounds-checked little-endian reads from a byte buffer.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    func check(_ offset: Int, _ count: Int, what: String) throws {
        guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else { throw ZipError.truncated(what) }
    }

    func u16(_ offset: Int) throws -> UInt16 {
        try check(offset, 2, what: "a header field")
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    func u32(_ offset: Int) throws -> UInt32 {
        try check(offset, 4, what: "a header field")
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// A u64 that must fit in `Int`.
    func int64(_ offset: Int) throws -> Int {
        try check(offset, 8, what: "a header field")
        let value = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        guard value <= UInt64(Int.max) else { throw ZipError.truncated("a 64-bit offset") }
        return Int(value)
    }

    func slice(_ offset: Int, _ count: Int, what: String) throws -> UnsafeRawBufferPointer {
        try check(offset, count, what: what)
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }
}
