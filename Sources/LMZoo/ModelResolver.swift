import Foundation
import LMZooCore
import LMZooFormats

/// A MODEL argument (CLI.md) resolved to what is opened: the one place that decides what a name
/// or path given on the command line means, for every command that takes a model or checkpoint.
public struct ResolvedModel: Sendable {
    /// The argument as given (a path, a catalog name, or a catalog model's folder).
    public let argument: String
    /// The file or directory to open (a catalog model's card `path`, inside its folder).
    public let path: String
    /// The architecture to force: `--arch` when given, else the catalog card's; nil to detect it.
    public let architecture: String?
    /// The card, when the argument named a catalog model (by name, or by a folder holding its card).
    public let entry: CatalogEntry?
}

/// Resolves MODEL arguments. An existing path is itself, unless it is a directory holding a catalog
/// card (`model.json` listing the files with their sha256, as `models/NAME/` has): that opens the
/// card's `path` (a file inside the folder, or the folder). Anything else is a catalog name. A catalog
/// model's files are verified against its card (sha256) before it is opened.
public enum ModelResolver {
    /// Resolves `argument`; `architecture` is `--arch` (a name no plugin in `registry` has is an
    /// ``UnknownArchitectureError``). With `verify` (the default) a catalog model's files are checked
    /// against the card's sha256 (callers that only need the path pass false). Throws when the argument
    /// is neither an existing path nor a catalog model.
    public static func resolve(_ argument: String, architecture: String? = nil, verify: Bool = true,
                               registry: ArchitectureRegistry = .shared) throws -> ResolvedModel {
        if let architecture, !registry.all.contains(where: { $0.name == architecture }) {
            throw UnknownArchitectureError(name: architecture, known: registry.all.map(\.name))
        }
        if Paths.exists(argument) {
            guard let entry = card(inFolder: argument) else {
                return ResolvedModel(argument: argument, path: argument, architecture: architecture, entry: nil)
            }
            return try resolved(argument, entry: entry, setupCommand: nil, architecture: architecture, verify: verify)
        }
        guard let catalog = try Catalog.standard(), let entry = catalog.entry(named: argument) else {
            throw FileError.system(path: argument, action: "open (neither a file nor a catalog model)", errno: ENOENT)
        }
        return try resolved(argument, entry: entry, setupCommand: catalog.setupCommand, architecture: architecture, verify: verify)
    }

    private static func resolved(_ argument: String, entry: CatalogEntry, setupCommand: String?, architecture: String?,
                                 verify: Bool) throws -> ResolvedModel {
        if verify {
            if let setupCommand { try entry.verify(setupCommand: setupCommand) } else { try entry.verify() }
        }
        return ResolvedModel(argument: argument, path: entry.modelPath, architecture: architecture ?? entry.architecture, entry: entry)
    }

    /// The catalog card in `folder`, when it is a directory whose `model.json` is one (the catalog's
    /// folders, copies of them under any name, and the folders `train` and `distill` write: their files
    /// are then verified on every load). A `model.json` that is not a valid card leaves the folder a
    /// plain model directory.
    private static func card(inFolder folder: String) -> CatalogEntry? {
        guard Paths.isDirectory(folder), Paths.exists(Paths.join(folder, "model.json")) else { return nil }
        return try? CatalogEntry.card(inDirectory: folder)
    }
}

/// A forced architecture (`--arch`, `--teacher-arch`) that no registered plugin has: a usage mistake.
public struct UnknownArchitectureError: UsageMistake, Equatable, CustomStringConvertible {
    /// The name as given.
    public let name: String
    /// The registered plugins' names.
    public let known: [String]

    public var description: String { "unknown architecture '\(name)' (known: \(known.joined(separator: ", ")))" }
}
