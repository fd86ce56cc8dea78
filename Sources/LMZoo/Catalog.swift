import Foundation
import LMZooCore
import LMZooFormats

/// The zoo catalog: `models/catalog.json` (catalog-wide settings such as the default benchmark corpus)
/// and one folder per model with a `model.json` card (README in `models/`). A catalog model is loaded by
/// name (`lmzoo score fortunes-ngram3 ...`) and its files' sha256 are verified on every load.
public struct Catalog: Sendable {
    /// The `models/` directory.
    public let directory: String
    /// The cards, sorted by name.
    public let entries: [CatalogEntry]
    /// The default benchmark corpus (absolute path), whether or not it has been made yet.
    public let defaultCorpus: String?
    /// How to make what is missing (the default corpus, installable models), for error messages.
    public let setupCommand: String

    /// Reads the catalog in `directory` (a `models/` folder with `catalog.json`).
    public init(directory: String) throws {
        self.directory = directory
        let settingsPath = Paths.join(directory, "catalog.json")
        let settings = try JSONFile.read(path: settingsPath).objectValue ?? JSONObject()
        defaultCorpus = settings["default_corpus"]?.stringValue.map { Paths.join(directory, $0) }
        setupCommand = settings["setup_command"]?.stringValue ?? "scripts/setup.sh"
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        entries = try folders.sorted().compactMap { folder in
            let cardPath = Paths.join(Paths.join(directory, folder), "model.json")
            guard Paths.exists(cardPath) else { return nil }
            return try LocatedError.at(cardPath) { try CatalogEntry(cardPath: cardPath) }
        }
    }

    /// The catalog lmzoo uses: `$LMZOO_MODELS`, else the nearest `models/catalog.json` above the
    /// executable (a build inside the repository), else above the current directory; nil when none.
    public static func standard() throws -> Catalog? {
        guard let directory = locate() else { return nil }
        return try Catalog(directory: directory)
    }

    /// The entry called `name`, if any.
    public func entry(named name: String) -> CatalogEntry? {
        entries.first { $0.name == name }
    }

    static func locate() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["LMZOO_MODELS"], !explicit.isEmpty { return explicit }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        for start in [Paths.directory(of: executable), FileManager.default.currentDirectoryPath] {
            var folder = URL(fileURLWithPath: start).standardizedFileURL.path
            while true {
                let candidate = Paths.join(folder, "models")
                if Paths.exists(Paths.join(candidate, "catalog.json")) { return candidate }
                let parent = Paths.directory(of: folder)
                if parent == folder || parent.isEmpty { break }
                folder = parent
            }
        }
        return nil
    }
}

/// One file of a catalog model and the digest it must have.
public struct CatalogFile: Sendable, Equatable {
    /// Path relative to the model's folder.
    public let path: String
    /// Lowercase hex SHA-256.
    public let sha256: String
    /// Size in bytes.
    public let bytes: Int
}

/// A catalog card (`models/<name>/model.json`).
public struct CatalogEntry: Sendable {
    /// The name users type (`lmzoo score NAME`), also the folder's name.
    public let name: String
    /// The architecture plugin (`ngram`, `hmm`, `lstm`, `gpt2`, `bert`).
    public let architecture: String
    /// Parameter count as recorded on the card.
    public let parameters: Int?
    /// One line on what the model is.
    public let summary: String
    /// What the model consumes (e.g. "characters", "GPT-2 byte-level BPE").
    public let tokenizer: String
    /// Licence of the weights.
    public let licence: String
    /// The model's folder.
    public let folder: String
    /// What to load, relative to the folder (a file, or "." for the folder itself).
    public let loadPath: String
    /// The files with their digests.
    public let files: [CatalogFile]
    /// How to obtain the files when they are not committed (e.g. "scripts/setup.sh unpacks the PyPI wheel").
    public let install: String?
    /// The whole card, for `lmzoo models --json` and reports.
    public let card: JSONObject

    /// Reads the card at `cardPath`. `inCatalog`: a catalog entry is looked up by its name, so the
    /// name must be its folder's; a model directory elsewhere (a renamed copy) may have any folder name.
    init(cardPath: String, inCatalog: Bool = true) throws {
        guard let card = try JSONFile.read(path: cardPath).objectValue else { throw CatalogError.badCard("not a JSON object") }
        func string(_ key: String) throws -> String {
            guard let value = card[key]?.stringValue, !value.isEmpty else { throw CatalogError.badCard("missing \"\(key)\"") }
            return value
        }
        self.card = card
        folder = Paths.directory(of: cardPath)
        name = try string("name")
        guard !inCatalog || name == Paths.fileName(of: folder) else {
            throw CatalogError.badCard("name \"\(name)\" differs from its folder \"\(Paths.fileName(of: folder))\"")
        }
        architecture = try string("architecture")
        parameters = card["parameters"]?.intValue
        summary = card["summary"]?.stringValue ?? ""
        tokenizer = card["tokenizer"]?.stringValue ?? ""
        licence = card["licence"]?.stringValue ?? ""
        loadPath = try string("path")
        install = card["install"]?.stringValue
        files = try (card["files"]?.arrayValue ?? []).map { item in
            guard let path = item["path"]?.stringValue, let sha = item["sha256"]?.stringValue, let bytes = item["bytes"]?.intValue,
                  !path.contains(".."), !path.hasPrefix("/")
            else { throw CatalogError.badCard("each of \"files\" needs a relative \"path\", \"sha256\" and \"bytes\"") }
            return CatalogFile(path: path, sha256: sha.lowercased(), bytes: bytes)
        }
        guard !files.isEmpty else { throw CatalogError.badCard("\"files\" is empty") }
    }

    /// The absolute path a plugin loads.
    public var modelPath: String { loadPath == "." ? folder : Paths.join(folder, loadPath) }

    /// Whether every file is present (installable models may not be unpacked yet).
    public var isInstalled: Bool { files.allSatisfy { Paths.exists(Paths.join(folder, $0.path)) } }

    /// Total bytes of the model's files.
    public var fileBytes: Int { files.reduce(0) { $0 + $1.bytes } }

    /// Checks every file's sha256; throws naming the first file that differs or is missing.
    public func verify(setupCommand: String = "scripts/setup.sh") throws {
        for file in files {
            let result = try check(file)
            switch result.status {
            case .ok: continue
            case .missing: throw LocatedError(path: result.path, CatalogError.notInstalled(model: name, how: install ?? setupCommand))
            case .mismatch:
                throw LocatedError(path: result.path, CatalogError.digestMismatch(model: name, expected: file.sha256, actual: result.actual ?? ""))
            }
        }
    }

    /// Checks every file's sha256 against the card (all of them, where ``verify(setupCommand:)``
    /// stops at the first problem), in card order.
    public func checkFiles() throws -> [FileCheck] { try files.map(check) }

    /// Checks one file of the card: missing, or its sha256 equal to the card's or not.
    public func check(_ file: CatalogFile) throws -> FileCheck {
        let path = Paths.join(folder, file.path)
        guard Paths.exists(path) else { return FileCheck(file: file, path: path, status: .missing, actual: nil) }
        let actual = try SHA256.hexDigest(ofFile: path)
        return FileCheck(file: file, path: path, status: actual == file.sha256 ? .ok : .mismatch, actual: actual)
    }

    /// The card of a model directory (`directory/model.json`, as the catalog's folders have).
    public static func card(inDirectory directory: String) throws -> CatalogEntry {
        let cardPath = Paths.join(directory, "model.json")
        guard Paths.exists(cardPath) else { throw LocatedError(path: directory, CatalogError.noCard) }
        return try LocatedError.at(cardPath) { try CatalogEntry(cardPath: cardPath, inCatalog: false) }
    }
}

/// One file of a model checked against its card's sha256.
public struct FileCheck: Sendable, Equatable {
    public enum Status: String, Sendable {
        case ok
        case mismatch
        case missing
    }

    public let file: CatalogFile
    /// The file's path on disk.
    public let path: String
    public let status: Status
    /// The file's sha256, when it exists.
    public let actual: String?
}

/// Problems with the catalog or a catalog model.
public enum CatalogError: Error, Equatable, CustomStringConvertible {
    /// `model.json` is malformed.
    case badCard(String)
    /// A file of the model is absent (not unpacked / not made yet).
    case notInstalled(model: String, how: String)
    /// A file's sha256 differs from its card (corrupt or changed weights).
    case digestMismatch(model: String, expected: String, actual: String)
    /// No `models/catalog.json` was found.
    case noCatalog
    /// A directory given as a model has no `model.json` card.
    case noCard

    public var description: String {
        switch self {
        case let .badCard(problem): "bad catalog card: \(problem)"
        case let .notInstalled(model, how): "catalog model \(model) is not installed (missing file; \(how))"
        case let .digestMismatch(model, expected, actual):
            "catalog model \(model): sha256 mismatch (card says \(expected), file has \(actual)); the file is corrupt or was changed"
        case .noCard: "no model.json card (a card lists the model's files with their sha256)"
        case .noCatalog: "no zoo catalog found (models/catalog.json beside the lmzoo build, or set LMZOO_MODELS)"
        }
    }
}
