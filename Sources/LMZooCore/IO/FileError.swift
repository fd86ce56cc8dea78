#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors of the file system itself (as opposed to a malformed file's contents).
public enum FileError: Error, Equatable, CustomStringConvertible {
    /// A system call failed on `path`.
    case system(path: String, action: String, errno: Int32)
    /// `path` exists but is not a regular file (a directory, a device, ...).
    case notARegularFile(path: String)
    /// The output would replace one of the inputs.
    case outputIsInput(path: String)

    public var description: String {
        switch self {
        case let .system(path, action, code):
            let reason = String(cString: strerror(code))
            return "\(path): cannot \(action): \(reason)"
        case let .notARegularFile(path):
            return "\(path): not a regular file"
        case let .outputIsInput(path):
            return "\(path): output is the same file as the input; refusing to overwrite the input"
        }
    }
}

/// Identity of a file on disk (device + inode), to tell whether two paths name the same file.
public struct FileIdentity: Equatable, Sendable {
    public let device: UInt64
    public let inode: UInt64

    /// The identity of `path`, or nil when it does not exist.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
