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
            let (id, path) = try Self.resolve(source)
            if slots.contains(where: { $0.id == id }) {
                throw ServeError(.badRequest, code: "duplicate_model", "\(source): a model with the id '\(id)' is already served")
            }
            slots.append(try ModelSlot(id: id, source: source, path: path, queueDepth: queueDepth))
        }
        self.slots = slots
    }

    /// The slot serving `id`; 404 when none does.
    func slot(_ id: String) throws -> ModelSlot {
        guard let slot = slots.first(where: { $0.id == id }) else { throw ServeError.modelNotFound(id) }
        return slot
    }

    /// A source's id and the file or directory its version is read from.
    static func resolve(_ source: String) throws -> (id: String, path: String) {
        if !Paths.exists(source), let catalog = try Catalog.standard(), let entry = catalog.entry(named: source) {
            return (entry.name, entry.modelPath)
        }
        guard Paths.exists(source) else {
            throw FileError.system(path: source, action: "open (neither a file nor a catalog model)", errno: ENOENT)
        }
        let trimmed = source.hasSuffix("/") ? String(source.dropLast()) : source
        return (URL(fileURLWithPath: trimmed).deletingPathExtension().lastPathComponent, source)
    }
}
