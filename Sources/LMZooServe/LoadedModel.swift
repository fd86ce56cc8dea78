import Foundation
import LMZoo

/// One version of a served model: the model object, the sha256 of the files it came from, and the
/// worker that runs its calls. A reload makes a new one; requests that hold the old one finish on it.
final class LoadedModel: @unchecked Sendable {
    /// The id clients name (`model` in requests).
    let id: String
    /// The first 16 hex digits of the files' sha256.
    let version: String
    /// Only ever called on ``worker``.
    let model: any LanguageModel
    let worker: ModelWorker
    let files: ModelFiles
    let loadSeconds: Double
    let loadedAt: Date

    private init(id: String, version: String, model: any LanguageModel, worker: ModelWorker, files: ModelFiles, loadSeconds: Double) {
        self.id = id
        self.version = version
        self.model = model
        self.worker = worker
        self.files = files
        self.loadSeconds = loadSeconds
        loadedAt = Date()
    }

    /// Loads `source` with ``ModelLoader``, naming its version by the sha256 of its files. Files
    /// replaced while it loads (seen by their stamps) make it start again, so the version names exactly
    /// the files the model came from.
    static func load(_ source: ModelSource, queueDepth: Int) throws -> LoadedModel {
        for _ in 0..<3 {
            let before = try ModelFiles.scan(source.path)
            let version = String(try source.digest(of: before).prefix(16))
            let start = Date()
            let model = try ModelLoader.load(source.source)
            let seconds = Date().timeIntervalSince(start)
            guard try ModelFiles.scan(source.path) == before else { continue }
            return LoadedModel(id: source.id, version: version, model: model,
                               worker: ModelWorker(label: source.id, depth: queueDepth), files: before, loadSeconds: seconds)
        }
        throw ServeError(.conflict, type: "server_error", code: "files_changing",
                         "\(source.path): the model's files kept changing while it loaded")
    }
}
