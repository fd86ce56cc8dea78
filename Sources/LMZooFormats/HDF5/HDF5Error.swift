#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LMZooCore

/// Every way lmzoo refuses an HDF5 file (or a store it cannot write as one), one case per rule.
///
/// Reading walks the whole group tree before any tensor is handed out, so a file is either read
/// completely or refused. Datasets that hold no numbers (strings, compound, variable-length,
/// references, other enums and opaque types, null dataspaces) are not refused: they are skipped
/// and listed in the store's ``HDF5Reader/skippedKey`` metadata.
public enum HDF5Error: Error, Equatable, CustomStringConvertible {
    /// libhdf5 cannot open the file (not HDF5, truncated, corrupt): its own message.
    case cannotOpen(String)
    /// An external link points into another file; lmzoo reads one file only.
    case externalLink(link: String, file: String, object: String)
    /// A soft link does not resolve to an object inside this file (dangling, or through an external link).
    case unresolvedSoftLink(link: String, target: String)
    /// A user-defined link type lmzoo does not follow.
    case unsupportedLink(link: String, type: Int)
    /// A hard link leads back to one of its own ancestor groups.
    case linkCycle(link: String)
    /// A dataset keeps its data in external raw files (`H5Pset_external`).
    case externalStorage(dataset: String, files: Int)
    /// A virtual dataset (data mapped from other datasets or files).
    case virtualDataset(dataset: String)
    /// A dataset is filtered by something other than deflate, shuffle or fletcher32.
    case unsupportedFilter(dataset: String, id: Int, name: String)
    /// A numeric dataset whose element type lmzoo cannot hold exactly (odd sizes, non-IEEE floats).
    case unsupportedType(dataset: String, what: String)
    /// shape x element size overflows a machine integer, or a dimension is too large.
    case shapeOverflow(dataset: String)
    /// A dataset is larger than ``HDF5Limits/maxDatasetBytes``.
    case datasetTooLarge(dataset: String, bytes: Int, limit: Int)
    /// A filtered dataset declares far more bytes than it stores (decompression bomb).
    case compressionBomb(dataset: String, declared: Int, stored: Int)
    /// A contiguous dataset's bytes do not lie inside the file.
    case dataOutsideFile(dataset: String, offset: UInt64, bytes: Int, fileSize: Int)
    /// An object's header (its prefix and first chunk, as the header declares them) reaches past the
    /// file's end of allocation (libhdf5's EOA): a corrupt header or superblock. Refused before
    /// libhdf5 loads it, because libhdf5 1.10 leaks the half-loaded header when it fails this check itself.
    /// `bytes` is 0 when the header starts at or past the end of allocation.
    case objectHeaderOutsideFile(object: String, address: UInt64, bytes: Int, endOfAllocation: UInt64)
    /// A contiguous dataset stores a different number of bytes than its shape and type need.
    case storageSizeMismatch(dataset: String, expected: Int, stored: Int)
    /// More groups, datasets or attributes than ``HDF5Limits/maxObjects``, or an oversized attribute.
    case tooManyObjects(limit: Int)
    /// An attribute lmzoo needs (a Keras layout's `layer_names` / `weight_names`) is malformed.
    case badAttribute(object: String, name: String, reason: String)
    /// A Keras legacy layout names a weight that is not a dataset in the file.
    case missingWeight(layer: String, weight: String)
    /// An HDF5 call failed while reading or writing (libhdf5's message).
    case library(String, String)
    /// libhdf5 crashed reading the file in a child process (``HDF5CrashGuard``): a corrupt
    /// structure the library does not check. The signal's number.
    case libraryCrashed(signal: Int32)
    /// libhdf5 did not finish reading the file in a child process within its time limit (seconds).
    case libraryTimedOut(seconds: UInt32)
    /// The child process reading the file ended early with this exit status (not 0).
    case libraryExited(status: Int32)
    /// Writing: a tensor name with an empty component or a `/` cannot become an HDF5 path.
    case invalidName(String)
    /// Writing: one name is a tensor and also a group prefix of another (`a.b` and `a.b.c`).
    case nameConflict(tensor: String, other: String)

    /// The short name of the rule, for messages and docs.
    public var rule: String {
        switch self {
        case .cannotOpen: "readable by libhdf5"
        case .externalLink: "no external links"
        case .unresolvedSoftLink: "soft links stay in the file"
        case .unsupportedLink: "no user-defined links"
        case .linkCycle: "no link cycles"
        case .externalStorage: "no external storage"
        case .virtualDataset: "no virtual datasets"
        case .unsupportedFilter: "filters: deflate, shuffle, fletcher32"
        case .unsupportedType: "numeric types lmzoo holds"
        case .shapeOverflow: "shape overflow"
        case .datasetTooLarge: "dataset size limit"
        case .compressionBomb: "compression ratio limit"
        case .dataOutsideFile: "data inside the file"
        case .objectHeaderOutsideFile: "object headers inside the file"
        case .storageSizeMismatch: "stored size equals shape x type size"
        case .tooManyObjects: "object count limit"
        case .badAttribute: "layout attributes"
        case .missingWeight: "listed weights exist"
        case .library: "libhdf5 call"
        case .libraryCrashed, .libraryTimedOut, .libraryExited: "libhdf5 reads it without crashing"
        case .invalidName: "tensor names are HDF5 paths"
        case .nameConflict: "no tensor is also a group"
        }
    }

    public var description: String {
        let detail: String
        switch self {
        case let .cannotOpen(message): detail = "libhdf5 cannot open the file: \(message)"
        case let .externalLink(link, file, object): detail = "'\(link)' is an external link to \(file):\(object)"
        case let .unresolvedSoftLink(link, target): detail = "soft link '\(link)' -> '\(target)' does not resolve inside the file"
        case let .unsupportedLink(link, type): detail = "'\(link)' is a user-defined link (type \(type))"
        case let .linkCycle(link): detail = "'\(link)' links back to one of its ancestor groups"
        case let .externalStorage(dataset, files): detail = "dataset '\(dataset)' keeps its data in \(files) external file(s)"
        case let .virtualDataset(dataset): detail = "dataset '\(dataset)' is a virtual dataset"
        case let .unsupportedFilter(dataset, id, name): detail = "dataset '\(dataset)' uses filter \(id) (\(name))"
        case let .unsupportedType(dataset, what): detail = "dataset '\(dataset)' has element type \(what)"
        case let .shapeOverflow(dataset): detail = "dataset '\(dataset)': shape x type size overflows"
        case let .datasetTooLarge(dataset, bytes, limit): detail = "dataset '\(dataset)' holds \(bytes) bytes, over the \(limit)-byte limit"
        case let .compressionBomb(dataset, declared, stored):
            detail = "dataset '\(dataset)' declares \(declared) bytes but stores only \(stored)"
        case let .dataOutsideFile(dataset, offset, bytes, size):
            detail = "dataset '\(dataset)' spans bytes \(offset)..<\(offset + UInt64(bytes)) of a \(size)-byte file (truncated?)"
        case let .objectHeaderOutsideFile(object, address, bytes, end):
            let span = bytes == 0 ? "starts at address \(address)" : "spans addresses \(address)..<\(address + UInt64(bytes))"
            detail = "the header of '\(object)' \(span), past the file's end of allocation \(end) (corrupt header or superblock)"
        case let .storageSizeMismatch(dataset, expected, stored):
            detail = "dataset '\(dataset)' stores \(stored) bytes but its shape and type need \(expected)"
        case let .tooManyObjects(limit): detail = "more than \(limit) objects or attribute values"
        case let .badAttribute(object, name, reason): detail = "attribute '\(name)' of '\(object)': \(reason)"
        case let .missingWeight(layer, weight): detail = "layer '\(layer)' lists weight '\(weight)' which is not a dataset"
        case let .library(operation, message): detail = "\(operation) failed: \(message)"
        case let .libraryCrashed(signal): detail = "libhdf5 crashed (signal \(signal)) reading the file: a corrupt structure; lmzoo refused it"
        case let .libraryTimedOut(seconds): detail = "libhdf5 did not finish reading the file in \(seconds) s (corrupt structure?)"
        case let .libraryExited(status):
            detail = status == HDF5CrashGuard.probeUsageStatus ? "the HDF5 probe process did not understand its arguments"
                : "the process reading it with libhdf5 ended with exit status \(status)"
        case let .invalidName(name): detail = "tensor name '\(name)' has an empty component or a '/'"
        case let .nameConflict(tensor, other): detail = "'\(tensor)' is a tensor and also a group of '\(other)'"
        }
        return "hdf5 rule '\(rule)': \(detail)"
    }
}

/// Limits applied to an HDF5 file before anything is allocated for it.
public struct HDF5Limits: Sendable {
    /// Largest dataset lmzoo reads (into memory or as a view).
    public var maxDatasetBytes = ReaderLimits.hdf5DatasetBytes
    /// Most links, datasets and attribute values visited in one file.
    public var maxObjects = ReaderLimits.hdf5Objects
    /// Largest string attribute (all its values) lmzoo reads.
    public var maxAttributeBytes = ReaderLimits.hdf5AttributeBytes
    /// Filtered datasets over this size must not expand more than ``maxExpansion`` times (Keras's rule).
    public var bombFloorBytes = ReaderLimits.hdf5BombFloorBytes
    public var maxExpansion = ReaderLimits.hdf5MaxExpansion

    public init() {}
}
