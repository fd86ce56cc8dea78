import ArgumentParser
import Foundation
import LMZoo

/// The MODEL argument and `--arch`, shared by the commands that run a model.
struct ModelOptions: ParsableArguments {
    @Argument(help: "A model: a checkpoint file, a Hugging Face directory, a file a plugin opens (.arpa), or a catalog model (name or folder).")
    var model: String

    @Option(help: "Force the architecture plugin (ngram, hmm, lstm, gpt2, bert).")
    var arch: String?

    /// Loads the model, timing it.
    func load() throws -> (model: any LanguageModel, seconds: Double) {
        let start = Date()
        let loaded = try ModelLoader.load(model, architecture: arch)
        return (loaded, Date().timeIntervalSince(start))
    }

    /// Refuses a model without a language-model head (an encoder checkpoint) for `command`, naming
    /// the model (not the text it was given).
    func requireLanguageModelHead(_ loaded: any LanguageModel, for command: String) throws {
        guard loaded.scoreKind == .unavailable else { return }
        throw LocatedError(path: model, CapabilityError.noLanguageModelHead(command: command, embeds: loaded is any Embedding))
    }
}

/// Token ids given as `--ids 1,2,3` or in a file of ids separated by commas or whitespace. An empty
/// item (`1,,2`, a leading or trailing comma) is refused, not skipped.
enum IDList {
    static func parse(_ text: String, source: String) throws -> [Int] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        if items.count > 1, let empty = items.firstIndex(where: { $0.allSatisfy(\.isWhitespace) }) {
            throw UsageError("\(source): item \(empty + 1) is empty (ids are separated by single commas)")
        }
        let parts = text.split(whereSeparator: { $0 == "," || $0.isWhitespace })
        return try parts.map { part in
            guard let id = Int(part) else { throw UsageError("\(source): '\(part)' is not a token id") }
            return id
        }
    }

    static func read(file: String) throws -> [Int] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw LocatedError(path: file, FileError.system(path: file, action: "read", errno: ENOENT))
        }
        return try parse(text, source: file)
    }
}
