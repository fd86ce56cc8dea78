import Dispatch
import Foundation
import LMZoo

/// A served model under its id: the version now answering requests, swapped atomically by reloads.
///
/// Reloads run one at a time on the slot's own queue (never on a model worker): the new version loads
/// beside the old one, then replaces it; requests that already hold the old version finish on it.
/// A failed reload keeps the old version serving and is remembered in ``lastError``.
final class ModelSlot: @unchecked Sendable {
    /// What a reload did.
    enum Outcome: Sendable {
        case unchanged(LoadedModel)
        case replaced(old: LoadedModel, new: LoadedModel)
    }

    let modelSource: ModelSource
    var id: String { modelSource.id }
    /// The catalog name or path the model was given as.
    var source: String { modelSource.source }
    private let queueDepth: Int
    private let reloadQueue: DispatchQueue
    private let lock = NSLock()
    private var loaded: LoadedModel
    /// The files as last checked (a reload that found the same sha256 still moves these on).
    private var checkedFiles: ModelFiles
    private var error: String?

    init(source: ModelSource, queueDepth: Int) throws {
        modelSource = source
        self.queueDepth = queueDepth
        reloadQueue = DispatchQueue(label: "lmzoo.serve.reload.\(source.id)")
        loaded = try LoadedModel.load(source, queueDepth: queueDepth)
        checkedFiles = loaded.files
    }

    /// The version answering requests now.
    var current: LoadedModel { lock.withLock { loaded } }

    /// The last failed reload's message (nil once a reload succeeds).
    var lastError: String? { lock.withLock { error } }

    /// Reloads when the files changed since the last check (`force`: always re-hash and compare the
    /// sha256). A new sha256 loads the new version and swaps it in; a failure keeps the old one and throws.
    func reload(force: Bool) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            reloadQueue.async { continuation.resume(with: Result { try self.reloadNow(force: force) }) }
        }
    }

    private func reloadNow(force: Bool) throws -> Outcome {
        let old = current
        do {
            let files = try ModelFiles.scan(modelSource.path)
            if !force, files == lock.withLock({ checkedFiles }) { return .unchanged(old) }
            if try String(modelSource.digest(of: files).prefix(16)) == old.version {
                lock.withLock {
                    checkedFiles = files
                    error = nil
                }
                return .unchanged(old)
            }
            let new = try LoadedModel.load(modelSource, queueDepth: queueDepth)
            lock.withLock {
                loaded = new
                checkedFiles = new.files
                error = nil
            }
            return .replaced(old: old, new: new)
        } catch {
            lock.withLock { self.error = String(describing: error) }
            throw error
        }
    }
}
