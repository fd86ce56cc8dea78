#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that it is either complete or absent: bytes go to a temporary file beside the
/// destination, which ``commit()`` flushes, fsyncs and renames over the destination. A writer that
/// is dropped without committing removes its temporary file; the destination is never touched.
public final class AtomicFileWriter {
    /// The final path.
    public let destination: String
    /// The temporary file being written.
    public let temporaryPath: String
    /// Bytes written so far.
    public private(set) var bytesWritten = 0

    private var fd: Int32
    private var pending: [UInt8] = []
    private var committed = false
    private var writebackStart = 0
    private var flushedBytes = 0
    private static let bufferSize = 4 << 20
    /// Dirty bytes after which writeback to disk is started, so the final fsync waits only for the tail.
    private static let writebackInterval = 64 << 20

    /// Creates the temporary file in `destination`'s directory.
    public init(destination: String) throws {
        self.destination = destination
        let directory = Paths.directory(of: destination)
        let base = Paths.fileName(of: destination)
        var template = Array("\(directory)/.\(base).lmzoo-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw FileError.system(path: destination, action: "create a temporary file for", errno: errno) }
        fd = descriptor
        temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        pending.reserveCapacity(AtomicFileWriter.bufferSize)
    }

    /// Writes `bytes` as the whole content of `destination`, atomically.
    public static func write(_ bytes: [UInt8], to destination: String) throws {
        let writer = try AtomicFileWriter(destination: destination)
        try writer.write(bytes)
        try writer.commit()
    }

    /// Appends bytes (buffered).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if pending.count + bytes.count > AtomicFileWriter.bufferSize { try flush() }
        if bytes.count >= AtomicFileWriter.bufferSize {
            try writeFully(bytes)
        } else {
            pending.append(contentsOf: bytes)
        }
        bytesWritten += bytes.count
    }

    /// Appends the bytes of an array.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Asks the kernel to start writing what has been written so far to disk, without waiting
    /// (`sync_file_range(SYNC_FILE_RANGE_WRITE)`): disk writes then overlap the rest of the work and
    /// ``commit()``'s fsync has little left to do. Also useful when another library writes the file.
    public func startWriteback() {
        startWriteback(offset: 0, count: 0)
    }

    /// Replaces already-written bytes at `offset` (e.g. a checksum in a header written earlier).
    public func overwrite(at offset: Int, with bytes: [UInt8]) throws {
        precondition(offset >= 0 && offset + bytes.count <= bytesWritten, "overwrite outside what was written")
        try flush()
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, off_t(offset)) }
        guard written == bytes.count else { throw FileError.system(path: destination, action: "write", errno: errno) }
    }

    /// Appends `count` zero bytes (padding).
    public func writeZeros(_ count: Int) throws {
        try write([UInt8](repeating: 0, count: count))
    }

    /// Flushes, fsyncs, gives the file mode 0644 less the umask and renames it over the destination.
    public func commit() throws {
        try flush()
        let mask = umask(0)
        umask(mask)
        fchmod(fd, 0o644 & ~mask)
        guard fsync(fd) == 0 else { throw FileError.system(path: destination, action: "fsync", errno: errno) }
        close(fd)
        fd = -1
        guard rename(temporaryPath, destination) == 0 else {
            let code = errno
            unlink(temporaryPath)
            throw FileError.system(path: destination, action: "rename the temporary file onto", errno: code)
        }
        committed = true
        let directoryFD = open(Paths.directory(of: destination), O_RDONLY | O_DIRECTORY)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// `sync_file_range(fd, offset, count, SYNC_FILE_RANGE_WRITE)` (count 0: to the end). glibc's
    /// declaration is not visible to Swift, so the symbol is looked up once; a no-op where missing.
    private func startWriteback(offset: Int, count: Int) {
        guard fd >= 0, let syncFileRange = AtomicFileWriter.syncFileRange else { return }
        _ = syncFileRange(fd, off_t(offset), off_t(count), 2 /* SYNC_FILE_RANGE_WRITE */)
    }

    private typealias SyncFileRange = @convention(c) (Int32, off_t, off_t, UInt32) -> Int32
    private static let syncFileRange: SyncFileRange? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range")
        .map { unsafeBitCast($0, to: SyncFileRange.self) }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(temporaryPath) }
    }

    private func flush() throws {
        guard !pending.isEmpty else { return }
        try pending.withUnsafeBytes { try writeFully($0) }
        pending.removeAll(keepingCapacity: true)
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw FileError.system(path: destination, action: "write", errno: errno)
            }
            offset += written
        }
        flushedBytes += bytes.count
        if flushedBytes - writebackStart >= AtomicFileWriter.writebackInterval {
            startWriteback(offset: writebackStart, count: flushedBytes - writebackStart)
            writebackStart = flushedBytes
        }
    }
}
