import CZip
import LMZooCore
#if canImport(Glibc)
import Glibc
#endif

/// gzip through zlib: whole-file inflate for reading, and a streaming, atomic writer.
enum Gzip {
    /// The decompressed bytes of the gzip file at `path`: at most `limit` bytes, and at most
    /// ``ReaderLimits/maxInflatedBytes(fromCompressed:)`` of the file's size (a gzip bomb is refused
    /// after inflating that much, not after filling memory).
    static func inflate(path: String, limit: Int) throws -> [UInt8] {
        let compressedSize = try MappedFile(path: path).count
        let ratioLimit = ReaderLimits.maxInflatedBytes(fromCompressed: compressedSize)
        guard let file = gzopen(path, "rb") else { throw FileError.system(path: path, action: "open", errno: errno) }
        defer { gzclose(file) }
        gzbuffer(file, 1 << 20)
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let read = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress!, UInt32($0.count)) }
            if read < 0 {
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? "read error"
                throw ARPAError.gzip(message)
            }
            if read == 0 { break }
            chunk.withUnsafeBufferPointer { output.append(contentsOf: $0[0..<Int(read)]) }
            guard output.count <= limit else { throw ARPAError.tooLarge(bytes: output.count, limit: limit) }
            guard output.count <= ratioLimit else {
                throw ARPAError.compressionRatio(compressed: compressedSize, limit: ReaderLimits.compressionRatio)
            }
        }
        var code: Int32 = 0
        let message = gzerror(file, &code).map { String(cString: $0) } ?? ""
        if code != 0 /* Z_OK */ { throw ARPAError.gzip(message.isEmpty ? "error \(code)" : message) }
        return output
    }
}

/// Writes a gzip file as a stream: bytes are deflated (zlib, gzip wrapper) into an
/// ``AtomicFileWriter``, so the destination is whole or absent.
final class GzipFileWriter {
    private let file: AtomicFileWriter
    private var stream = z_stream()
    private var output = [UInt8](repeating: 0, count: 1 << 18)
    private var ended = false

    /// Starts `destination` at zlib `level` (1 fastest ... 9 smallest).
    init(destination: String, level: Int32 = 9) throws {
        file = try AtomicFileWriter(destination: destination)
        // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
        let status = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                                   Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw ARPAError.gzip("deflateInit2 failed (zlib status \(status))") }
    }

    deinit {
        if !ended { deflateEnd(&stream) }
    }

    /// Compresses and appends `bytes`.
    func write(_ bytes: [UInt8]) throws {
        try deflate(bytes, flush: Z_NO_FLUSH)
    }

    /// Finishes the gzip stream and commits the file.
    func commit() throws {
        try deflate([], flush: Z_FINISH)
        deflateEnd(&stream)
        ended = true
        try file.commit()
    }

    private func deflate(_ input: [UInt8], flush: Int32) throws {
        try input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = uInt(source.count)
            while true {
                let status = output.withUnsafeMutableBufferPointer { target -> Int32 in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    return CZip.deflate(&stream, flush)
                }
                guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                    throw ARPAError.gzip("deflate failed (zlib status \(status))")
                }
                let produced = output.count - Int(stream.avail_out)
                if produced > 0 { try file.write(Array(output[0..<produced])) }
                let done = flush == Z_FINISH ? status == Z_STREAM_END : stream.avail_in == 0 && stream.avail_out > 0
                if done { break }
            }
        }
    }
}
