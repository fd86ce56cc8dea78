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
///
/// On Linux the temporary file is unnamed (`O_TMPFILE` in the destination's directory) until
/// ``commit()`` links it under a hidden name and renames it into place, so a process killed with
/// SIGKILL mid-write leaves nothing behind. Where that is unsupported, or when a caller needs a path
/// another library can open (`named: true`), it is a hidden `.NAME.lmzoo-XXXXXX` file instead.
public final class AtomicFileWriter {
    /// The final path.
    public let destination: String
    /// A path of the temporary file being written (for an unnamed file, its `/proc/self/fd` link).
    public let temporaryPath: String
    /// False while the temporary file has no name in the directory (O_TMPFILE).
    private let named: Bool
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

    /// Creates the temporary file in `destination`'s directory; `named`: give it a name from the
    /// start (for another library to write through ``temporaryPath``).
    public init(destination: String, named: Bool = false) throws {
        self.destination = destination
        if !named, let unnamed = AtomicFileWriter.openUnnamed(in: Paths.directory(of: destination)) {
            fd = unnamed
            temporaryPath = "/proc/self/fd/\(unnamed)"
            self.named = false
        } else {
            let (descriptor, path) = try AtomicFileWriter.makeNamed(beside: destination)
            fd = descriptor
            temporaryPath = path
            self.named = true
        }
        pending.reserveCapacity(AtomicFileWriter.bufferSize)
    }

    /// `open(directory, O_TMPFILE)` (Linux), or nil where unsupported.
    private static func openUnnamed(in directory: String) -> Int32? {
        #if os(Linux)
        guard access("/proc/self/fd", F_OK) == 0 else { return nil }
        let oTmpfile: Int32 = 0o20_000_000 | O_DIRECTORY  // glibc's O_TMPFILE, which Swift does not import
        let descriptor = open(directory.isEmpty ? "." : directory, oTmpfile | O_WRONLY | O_CLOEXEC, 0o600)
        return descriptor >= 0 ? descriptor : nil
        #else
        return nil
        #endif
    }

    /// The hidden name prefix of temporary files beside `destination`.
    private static func hiddenPrefix(_ destination: String) -> String {
        "\(Paths.directory(of: destination))/.\(Paths.fileName(of: destination)).lmzoo-"
    }

    /// A hidden `mkstemp` file beside `destination`: its descriptor and path.
    private static func makeNamed(beside destination: String) throws -> (Int32, String) {
        var template = Array((hiddenPrefix(destination) + "XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw FileError.system(path: destination, action: "create a temporary file for", errno: errno) }
        return (descriptor, template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
    }

    /// Links the unnamed temporary file under a fresh hidden name beside the destination.
    private func linkUnnamed() throws -> String {
        for _ in 0..<100 {
            let name = AtomicFileWriter.hiddenPrefix(destination) + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            if linkat(AT_FDCWD, temporaryPath, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0 { return name }
            guard errno == EEXIST else { break }
        }
        throw FileError.system(path: destination, action: "link the temporary file beside", errno: errno)
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
        let linked = named ? temporaryPath : try linkUnnamed()
        close(fd)
        fd = -1
        guard rename(linked, destination) == 0 else {
            let code = errno
            unlink(linked)
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
        if !committed && named { unlink(temporaryPath) }
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
