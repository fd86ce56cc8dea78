/// An error about a particular file: what the CLI prints as `PATH: message`.
public struct LocatedError: Error, CustomStringConvertible {
    /// The file the error is about.
    public let path: String
    /// What is wrong with it (a format's own error enum, usually).
    public let underlying: any Error

    public init(path: String, _ underlying: any Error) {
        self.path = path
        self.underlying = underlying
    }

    /// `PATH: message`, the path named once: an error that names its file itself (a ``FileError``,
    /// another ``LocatedError``, or a message that starts with `PATH:`) is not prefixed again.
    public var description: String {
        let message = String(describing: underlying)
        if underlying is FileError || underlying is LocatedError || message.hasPrefix(path + ":") { return message }
        return "\(path): \(message)"
    }

    /// Runs `body`, attaching `path` to any error that does not already name a file.
    public static func at<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as LocatedError {
            throw error
        } catch let error as FileError {
            throw error
        } catch {
            throw LocatedError(path: path, error)
        }
    }
}
