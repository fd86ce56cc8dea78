import Foundation
import LMZoo

/// The served models by id, loaded once each at start (CLI.md: a model's id is its catalog name, or
/// else the last path component without extension).
final class ModelPool: Sendable {
    /// In the order they were given.
    let slots: [ModelSlot]

    /// Loads every model in `sources`; an id given twice is an error.
    init(sources: [String], queueDepth: Int) throws {
        var slots: [ModelSlot] = []
        for source in sources {
            let resolved = try ModelSource(source)
            if slots.contains(where: { $0.id == resolved.id }) {
                throw ServeError(.badRequest, code: "duplicate_model", "\(source): a model with the id '\(resolved.id)' is already served")
            }
            slots.append(try ModelSlot(source: resolved, queueDepth: queueDepth))
        }
        self.slots = slots
    }

    /// The slot serving `id`; 404 when none does.
    func slot(_ id: String) throws -> ModelSlot {
        guard let slot = slots.first(where: { $0.id == id }) else { throw ServeError.modelNotFound(id) }
        return slot
    }
}

/// A model as given to `lmzoo serve`: its id, the files that make its version, and how to hash them.
struct ModelSource: Sendable {
    /// The catalog name or path as given.
    let source: String
    /// The id clients name.
    let id: String
    /// The file or directory watched for changes (a catalog model's folder, card included).
    let path: String
    /// A catalog model: its card lists each file's sha256 and loading verifies them, so the version is
    /// the digest of that list (no second pass over the files).
    let isCatalog: Bool

    init(_ source: String) throws {
        self.source = source
        // Loading verifies a catalog model's files; here only the name and folder are needed.
        if let entry = try ModelResolver.resolve(source, verify: false).entry {
            (id, path, isCatalog) = (entry.name, entry.folder, true)
            return
        }
        let trimmed = source.hasSuffix("/") ? String(source.dropLast()) : source
        (id, path, isCatalog) = (URL(fileURLWithPath: trimmed).deletingPathExtension().lastPathComponent, source, false)
    }

    /// The sha256 that names the version of the model in `files`.
    func digest(of files: ModelFiles) throws -> String {
        guard isCatalog else { return try files.sha256() }
        let entry = try CatalogEntry.card(inDirectory: path)
        var digest = SHA256()
        for file in entry.files {
            Array("\(file.path)\0\(file.sha256)\n".utf8).withUnsafeBytes { digest.update($0) }
        }
        return digest.finalizeHex()
    }
}
