import Foundation
import LMZooCore

/// The `model.json` card that `train` and `distill` leave in a model folder: the same card the catalog
/// uses (`name`, `architecture`, `path`, `tokenizer`, `files` with their sha256; `lmzoo verify DIR`
/// checks it), with what training recorded under `training.trainer` (the command, the corpus and its
/// SHA-256, sizes, losses, timings).
public enum ModelCard {
    /// Writes `directory/model.json` after every other file of the folder is in place (their digests
    /// are on the card). `directory`'s last component is the model's name; `fields` are the trainer's record.
    public static func write(directory: String, architecture: String, tokenizer: String, summary: String,
                             command: String?, corpus: TrainingCorpus, fields: JSONObject) throws {
        var trainer = JSONObject([("command", command.map(JSONValue.string) ?? .null), ("corpus", .string(corpus.path)),
                                  ("corpus_sha256", .string(corpus.sha256)), ("corpus_bytes", .int(corpus.text.utf8.count))])
        for (key, value) in fields.entries { trainer[key] = value }
        var card = JSONObject([
            ("name", .string(Paths.fileName(of: directory))), ("architecture", .string(architecture)),
            ("summary", .string(summary)), ("path", .string(".")), ("tokenizer", .string(tokenizer)),
        ])
        if let parameters = fields["parameters"] ?? fields["student_parameters"] { card["parameters"] = parameters }
        card["training"] = .object(JSONObject([("trainer", .object(trainer))]))
        card["files"] = .array(try files(in: directory).map { name in
            let path = Paths.join(directory, name)
            let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            return .object(JSONObject([("path", .string(name)), ("sha256", .string(try SHA256.hexDigest(ofFile: path))),
                                       ("bytes", .int(bytes))]))
        })
        try AtomicFileWriter.write(Array((JSONValue.object(card).prettyText + "\n").utf8), to: Paths.join(directory, "model.json"))
    }

    /// The folder's regular files other than the card, sorted.
    static func files(in directory: String) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        return names.filter { $0 != "model.json" && !$0.hasPrefix(".") && !Paths.isDirectory(Paths.join(directory, $0)) }.sorted()
    }
}
