import Foundation
import LMZooCore

/// A checkpoint container lmzoo can read and/or write. Adding a format = one conformance plus
/// one line in ``CheckpointFormats/all``.
public protocol CheckpointFormat: Sendable {
    /// Name used by `--to` and `lmzoo list` (`safetensors`, `h5`, `gguf`, ...).
    var name: String { get }
    /// File extensions (lowercase, no dot) that select this format.
    var fileExtensions: [String] { get }
    var canRead: Bool { get }
    var canWrite: Bool { get }
    /// True when the first bytes of a file look like this format (content sniffing).
    func recognizes(prefix: UnsafeRawBufferPointer) -> Bool
    /// True when the container can store tensors of `dtype` (default: every element type).
    func canHold(_ dtype: DType) -> Bool
    /// All tensors and metadata (zero-copy where the format allows).
    func read(path: String) throws -> TensorStore
    /// Writes atomically: `path` ends up complete or untouched.
    func write(_ store: TensorStore, to path: String, options: WriteOptions) throws -> WriteSummary
    /// The parameters of `store` when it is this format's own kind of model, whose tensors are not
    /// all parameters (an n-gram model's word columns and hash tables); nil: every element counts.
    func parameterCount(of store: TensorStore) -> Int?
}

extension CheckpointFormat {
    public func canHold(_ dtype: DType) -> Bool { !dtype.isBlockQuantized }
    public func parameterCount(of store: TensorStore) -> Int? { nil }
}

/// safetensors (Hugging Face).
public struct SafetensorsFormat: CheckpointFormat {
    public init() {}
    public var name: String { "safetensors" }
    public var fileExtensions: [String] { ["safetensors"] }
    public var canRead: Bool { true }
    public var canWrite: Bool { true }

    /// An 8-byte little-endian header size followed by `{`.
    public func recognizes(prefix: UnsafeRawBufferPointer) -> Bool {
        guard prefix.count >= 9 else { return false }
        let size = prefix.loadUnaligned(as: UInt64.self).littleEndian
        return prefix[8] == UInt8(ascii: "{") && size <= UInt64(SafetensorsHeader.maxHeaderSize)
    }

    public func read(path: String) throws -> TensorStore { try SafetensorsReader.read(path: path) }

    public func write(_ store: TensorStore, to path: String, options: WriteOptions) throws -> WriteSummary {
        try SafetensorsWriter.write(store, to: path, options: options)
    }
}

/// The formats lmzoo knows, and how a path or a name selects one.
public enum CheckpointFormats {
    /// Every format, in the order `lmzoo list` shows them: the built-in containers, then those
    /// plugins added with ``register(_:)`` (e.g. the n-gram plugin's ARPA).
    public static var all: [any CheckpointFormat] { registry.withLock { $0 } }

    /// Adds a format (replacing one of the same name); a plugin calls this when it is registered.
    public static func register(_ format: any CheckpointFormat) {
        registry.withLock { formats in
            formats.removeAll { $0.name == format.name }
            formats.append(format)
        }
    }

    private static let registry = LockedFormats([SafetensorsFormat(), NumPyFormat(.npz), NumPyFormat(.npy), GGUFFormat(), TorchFormat(), HDF5Format(), KerasFormat()])

    /// The parameters of `store` (what `lmzoo inspect` and the catalog report): a format's own count
    /// (``CheckpointFormat/parameterCount(of:)``) where one knows better, else every element.
    public static func parameterCount(of store: TensorStore) -> Int {
        all.lazy.compactMap { $0.parameterCount(of: store) }.first ?? store.entries.reduce(0) { $0 + $1.tensor.elementCount }
    }

    /// The format called `name`, or an error listing the known names.
    public static func named(_ name: String) throws -> any CheckpointFormat {
        guard let format = all.first(where: { $0.name == name.lowercased() }) else {
            throw FormatSelectionError.unknownFormat(name, known: all.map(\.name))
        }
        return format
    }

    /// The format to write `path` in: `explicit` (`--to`) if given, else the path's extension.
    public static func forWriting(path: String, explicit: String?) throws -> any CheckpointFormat {
        let format: any CheckpointFormat
        if let explicit {
            format = try named(explicit)
        } else {
            let ext = Paths.fileExtension(of: path)
            guard let byExtension = all.first(where: { $0.fileExtensions.contains(ext) }) else {
                throw FormatSelectionError.unknownExtension(path: path, known: all.filter(\.canWrite).map(\.name))
            }
            format = byExtension
        }
        guard format.canWrite else { throw FormatSelectionError.cannotWrite(format.name) }
        return format
    }

    /// The format of the existing file at `path`: by content first, then by extension.
    public static func forReading(path: String) throws -> any CheckpointFormat {
        let file = try MappedFile(path: path)
        let prefix = UnsafeRawBufferPointer(rebasing: file.bytes[0..<min(file.count, 64)])
        if let sniffed = all.first(where: { $0.canRead && $0.recognizes(prefix: prefix) }) { return sniffed }
        let ext = Paths.fileExtension(of: path)
        if let byExtension = all.first(where: { $0.canRead && $0.fileExtensions.contains(ext) }) { return byExtension }
        throw LocatedError(path: path, FormatSelectionError.unrecognized(known: all.filter(\.canRead).map(\.name)))
    }
}

/// The format table behind a lock (formats are registered at start-up, read everywhere).
final class LockedFormats: @unchecked Sendable {
    private let lock = NSLock()
    private var formats: [any CheckpointFormat]

    init(_ formats: [any CheckpointFormat]) { self.formats = formats }

    func withLock<T>(_ body: (inout [any CheckpointFormat]) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&formats)
    }
}

/// Why no format could be chosen.
public enum FormatSelectionError: Error, Equatable, CustomStringConvertible {
    case unknownFormat(String, known: [String])
    case unknownExtension(path: String, known: [String])
    case cannotWrite(String)
    case unrecognized(known: [String])

    public var description: String {
        switch self {
        case let .unknownFormat(name, known): "unknown format '\(name)' (known: \(known.joined(separator: ", ")))"
        case let .unknownExtension(path, known):
            "\(path): cannot tell the output format from the extension; use --to (one of \(known.joined(separator: ", ")))"
        case let .cannotWrite(name): "lmzoo cannot write \(name) files yet"
        case let .unrecognized(known): "not a checkpoint format lmzoo reads (known: \(known.joined(separator: ", ")))"
        }
    }
}
