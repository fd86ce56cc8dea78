#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file. Pages are read only when touched, so opening a
/// multi-gigabyte checkpoint to look at its header costs a few pages. Unmapped on deinit.
public final class MappedFile: @unchecked Sendable {
    /// The path the file was opened from (for error messages).
    public let path: String
    /// Start of the mapping (a valid non-null pointer even for an empty file).
    public let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?

    /// Maps `path` read-only. Throws ``FileError`` when it cannot be opened, is a directory or
    /// cannot be mapped.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError.system(path: path, action: "open", errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError.system(path: path, action: "stat", errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw FileError.notARegularFile(path: path) }
        let size = Int(info.st_size)
        if size == 0 {
            mapping = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw FileError.system(path: path, action: "mmap", errno: errno)
        }
        mapping = address
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    /// File size in bytes.
    public var count: Int { bytes.count }

    deinit {
        if let mapping { munmap(mapping, bytes.count) }
    }
}
