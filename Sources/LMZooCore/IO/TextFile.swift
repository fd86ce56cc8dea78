import Foundation

/// A UTF-8 text file named on the command line (a training corpus, `score --file`, `embed --file`,
/// `bench --corpus`), read and checked the same way by every command: a file that cannot be read is a
/// ``FileError``; bytes that are not UTF-8 (or, where refused, no bytes at all) are a ``LocatedError``
/// naming the file with a ``TextFileError``.
public enum TextFile {
    /// Reads `path` as UTF-8 text. `empty`: nil accepts an empty file; a string refuses it with
    /// ``TextFileError/empty(_:)`` carrying that detail (`""` for a plain "empty").
    public static func read(_ path: String, refusingEmpty empty: String? = nil) throws -> (data: Data, text: String) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError.system(path: path, action: "read", errno: Paths.isDirectory(path) ? EISDIR : ENOENT)
        }
        try data.withUnsafeBytes { try check($0, path: path, refusingEmpty: empty) }
        return (data, String(decoding: data, as: UTF8.self))
    }

    /// Checks bytes already in memory (or mapped) as ``read(_:refusingEmpty:)`` checks a file's.
    public static func check(_ bytes: UnsafeRawBufferPointer, path: String, refusingEmpty empty: String? = nil) throws {
        if let empty, bytes.isEmpty { throw LocatedError(path: path, TextFileError.empty(empty)) }
        if let offset = firstInvalidUTF8Byte(bytes) { throw LocatedError(path: path, TextFileError.notUTF8(offset: offset)) }
    }

    /// The offset of the first byte of `bytes` that does not start or continue a well-formed UTF-8
    /// sequence (overlong forms, surrogates and code points above U+10FFFF are ill-formed), or nil.
    public static func firstInvalidUTF8Byte(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case let .valid(encoded): offset += encoded.count
            case .error: return offset
            case .emptyInput: return nil
            }
        }
    }
}

/// What is wrong with a text file's contents.
public enum TextFileError: Error, Equatable, CustomStringConvertible {
    /// The bytes are not UTF-8; `offset` is the first bad byte.
    case notUTF8(offset: Int)
    /// The file is empty where text is needed; the detail says why it matters (may be empty).
    case empty(String)

    public var description: String {
        switch self {
        case let .notUTF8(offset): "not valid UTF-8 (byte offset \(offset))"
        case let .empty(detail): detail.isEmpty ? "empty" : "empty, \(detail)"
        }
    }
}
