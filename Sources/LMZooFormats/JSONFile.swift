import LMZooCore

/// Reading small JSON files (configs, indexes) with a size limit checked before reading.
public enum JSONFile {
    /// Parses the JSON file at `path`; refuses files over `limit` bytes.
    public static func read(path: String, limit: Int = ReaderLimits.jsonFileBytes) throws -> JSONValue {
        let file = try MappedFile(path: path)
        guard file.count <= limit else {
            throw LocatedError(path: path, JSONFileError.tooLarge(size: file.count, limit: limit))
        }
        do {
            return try JSONParser.parse(file.bytes)
        } catch {
            throw LocatedError(path: path, error)
        }
    }
}

/// Errors reading a JSON file.
public enum JSONFileError: Error, Equatable, CustomStringConvertible {
    case tooLarge(size: Int, limit: Int)
    case notAnObject

    public var description: String {
        switch self {
        case let .tooLarge(size, limit): "JSON file of \(size) bytes exceeds the \(limit)-byte limit"
        case .notAnObject: "JSON file is not an object"
        }
    }
}
