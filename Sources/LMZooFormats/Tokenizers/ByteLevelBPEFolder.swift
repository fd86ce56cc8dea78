import LMZooCore

/// A model folder that keeps another model's byte-level BPE tokenizer: its `config.json` says
/// `"tokenizer": "byte-level-bpe"` and the folder holds `vocab.json` (`{token: id}`) + `merges.txt`
/// (or `tokenizer.json`). This is how a distilled student of any architecture (n-gram, HMM, LSTM)
/// tokenizes text exactly as its GPT-style teacher did; the architecture's own vocabulary file is then absent.
public enum ByteLevelBPEFolder {
    /// `config.json`'s `tokenizer` value for such a folder.
    public static let configValue = "byte-level-bpe"

    /// The folder's BPE tokenizer when `config` declares one (nil otherwise, or without a folder).
    public static func tokenizer(directory: String?, config: JSONObject?) throws -> ByteLevelBPETokenizer? {
        guard let directory, config?["tokenizer"]?.stringValue == configValue else { return nil }
        let vocabulary = try HFVocabulary.read(directory: directory)
        guard vocabulary.kind == .bpe else {
            throw LocatedError(path: Paths.join(directory, "config.json"),
                               HFVocabularyError.malformed("tokenizer \(configValue), but the vocabulary files are \(vocabulary.kind.rawValue)"))
        }
        return try LocatedError.at(directory) { try vocabulary.byteLevelBPETokenizer() }
    }

    /// Writes `tokenizer` into `directory` as `vocab.json` + `merges.txt` (each atomically), the
    /// files GPT-2 folders and ``tokenizer(directory:config:)`` read.
    public static func write(_ tokenizer: ByteLevelBPETokenizer, to directory: String) throws {
        for (name, bytes) in files(tokenizer) { try AtomicFileWriter.write(bytes, to: Paths.join(directory, name)) }
    }

    /// The contents of those two files, as Hugging Face's GPT-2 tokenizer files: `vocab.json`
    /// (`{token: id}`) and `merges.txt` (`#version: 0.2`, then one merge a line).
    public static func files(_ tokenizer: ByteLevelBPETokenizer) -> [(name: String, bytes: [UInt8])] {
        let vocabulary = JSONValue.object(JSONObject(tokenizer.tokens.enumerated().map { ($1, JSONValue.int($0)) }))
        return [("vocab.json", Array((vocabulary.prettyText + "\n").utf8)),
                ("merges.txt", Array(("#version: 0.2\n" + tokenizer.merges.map { $0 + "\n" }.joined()).utf8))]
    }
}
