import LMZooCore

/// Writes a zip archive of stored (uncompressed) entries, streamed, atomically (through
/// ``AtomicFileWriter``), with Zip64 records when sizes or offsets need them and optional data
/// alignment (PyTorch aligns tensor records to 64 bytes with a padding extra field `FB`).
public final class ZipWriter {
    private struct Written {
        let name: [UInt8]
        let offset: Int
        let size: Int
        let crc: UInt32
    }

    private let writer: AtomicFileWriter
    private var written: [Written] = []
    private var names = Set<String>()

    /// Starts an archive that will replace `destination` on ``finish()``.
    public init(destination: String) throws {
        writer = try AtomicFileWriter(destination: destination)
    }

    /// Adds an entry whose bytes are small enough to hold.
    public func addEntry(name: String, bytes: [UInt8], alignment: Int = 1) throws {
        try addEntry(name: name, size: bytes.count, alignment: alignment) { sink in try bytes.withUnsafeBytes { try sink($0) } }
    }

    /// Adds an entry of `size` bytes which `produce` streams by calling its sink with consecutive chunks.
    public func addEntry(name: String, size: Int, alignment: Int = 1,
                         produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        guard ZipDirectoryParser.isSafe(name), names.insert(name).inserted else { throw ZipError.unsafeName(name) }
        let nameBytes = Array(name.utf8)
        let offset = writer.bytesWritten
        let needsZip64 = size >= 0xFFFF_FFFF
        var extra: [UInt8] = []
        if needsZip64 { extra += Self.le16(1) + Self.le16(16) + Self.le64(size) + Self.le64(size) }
        if alignment > 1 {
            let unpadded = offset + 30 + nameBytes.count + extra.count + 4
            let padding = (alignment - unpadded % alignment) % alignment
            extra += Self.le16(0x4246) + Self.le16(padding) + [UInt8](repeating: 0, count: padding)
        }
        let size32 = needsZip64 ? 0xFFFF_FFFF : UInt32(size)
        var header = Self.le32(0x0403_4B50) + Self.le16(needsZip64 ? 45 : 20) + Self.le16(0x0800) + Self.le16(0)
        header += Self.le16(0) + Self.le16(0x21) + Self.le32(0)  // time, date (1980-01-01), crc patched below
        header += Self.le32(size32) + Self.le32(size32) + Self.le16(nameBytes.count) + Self.le16(extra.count)
        try writer.write(header + nameBytes + extra)
        var crc = CRC32()
        var produced = 0
        try produce { chunk in
            crc.update(chunk)
            produced += chunk.count
            try writer.write(chunk)
        }
        guard produced == size else { throw ZipError.implausibleSize(name) }
        try writer.overwrite(at: offset + 14, with: Self.le32(crc.value))
        written.append(Written(name: nameBytes, offset: offset, size: size, crc: crc.value))
    }

    /// Writes the central directory and renames the archive into place. Returns its size.
    @discardableResult
    public func finish() throws -> Int {
        let directoryOffset = writer.bytesWritten
        for entry in written {
            var zip64: [UInt8] = []
            if entry.size >= 0xFFFF_FFFF { zip64 += Self.le64(entry.size) + Self.le64(entry.size) }
            if entry.offset >= 0xFFFF_FFFF { zip64 += Self.le64(entry.offset) }
            let extra = zip64.isEmpty ? [] : Self.le16(1) + Self.le16(zip64.count) + zip64
            let size32 = entry.size >= 0xFFFF_FFFF ? 0xFFFF_FFFF : UInt32(entry.size)
            var header = Self.le32(0x0201_4B50) + Self.le16(zip64.isEmpty ? 20 : 45) + Self.le16(zip64.isEmpty ? 20 : 45)
            header += Self.le16(0x0800) + Self.le16(0) + Self.le16(0) + Self.le16(0x21) + Self.le32(entry.crc)
            header += Self.le32(size32) + Self.le32(size32) + Self.le16(entry.name.count) + Self.le16(extra.count)
            header += Self.le16(0) + Self.le16(0) + Self.le16(0) + Self.le32(0)
            header += Self.le32(entry.offset >= 0xFFFF_FFFF ? 0xFFFF_FFFF : UInt32(entry.offset))
            try writer.write(header + entry.name + extra)
        }
        let directorySize = writer.bytesWritten - directoryOffset
        let needsZip64 = written.count >= 0xFFFF || directoryOffset >= 0xFFFF_FFFF || directorySize >= 0xFFFF_FFFF
        if needsZip64 {
            let recordOffset = writer.bytesWritten
            var record = Self.le32(0x0606_4B50) + Self.le64(44) + Self.le16(45) + Self.le16(45) + Self.le32(0) + Self.le32(0)
            record += Self.le64(written.count) + Self.le64(written.count) + Self.le64(directorySize) + Self.le64(directoryOffset)
            record += Self.le32(0x0706_4B50) + Self.le32(0) + Self.le64(recordOffset) + Self.le32(1)
            try writer.write(record)
        }
        var end = Self.le32(0x0605_4B50) + Self.le16(0) + Self.le16(0)
        end += Self.le16(min(written.count, 0xFFFF)) + Self.le16(min(written.count, 0xFFFF))
        end += Self.le32(needsZip64 ? 0xFFFF_FFFF : UInt32(directorySize)) + Self.le32(needsZip64 ? 0xFFFF_FFFF : UInt32(directoryOffset))
        end += Self.le16(0)
        try writer.write(end)
        try writer.commit()
        return writer.bytesWritten
    }

    static func le16<T: BinaryInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: UInt16(value).littleEndian, Array.init) }
    static func le32<T: BinaryInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: UInt32(value).littleEndian, Array.init) }
    static func le64<T: BinaryInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: UInt64(value).littleEndian, Array.init) }
}
