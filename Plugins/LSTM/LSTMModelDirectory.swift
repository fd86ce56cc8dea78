import LMZooCore
import LMZooFormats

/// The LSTM plugin's model-directory hook (`lmzoo convert model.keras OUT_DIR --layout torch`, and
/// back with `--layout keras`): beside `model.safetensors` the directory holds `config.json`
/// (`model_type` lstm and the sizes, CLI.md, plus the gate activation when it is not the sigmoid)
/// and, when the input has a vocabulary, `vocab.json` with the tokenization it was read with (or a
/// kept byte-level BPE tokenizer's `vocab.json` + `merges.txt`, ``ByteLevelBPEFolder``).
enum LSTMModelDirectory {
    static func files(_ request: ModelDirectoryRequest) throws -> ModelDirectoryFiles {
        // Loading checks the input completely and resolves what its files leave implicit (sizes from
        // shapes, a Keras config's recurrent activation, the vocabulary's tokenization).
        let model = try LSTMPlugin.load(request.source)
        var config = model.config.json
        var files: [(name: String, bytes: [UInt8])] = []
        if let tokenizer = model.tokenizer as? LSTMTokenizer, let symbols = tokenizer.symbols {
            config["tokenization"] = .string(tokenizer.characters ? "characters" : "words")
            files.append(("vocab.json", Array((JSONValue.array(symbols.map(JSONValue.string)).compactText + "\n").utf8)))
        } else if let bpe = model.tokenizer as? ByteLevelBPETokenizer {  // a distilled student keeps its teacher's BPE
            config["tokenizer"] = .string(ByteLevelBPEFolder.configValue)
            files += ByteLevelBPEFolder.files(bpe)
        }
        return ModelDirectoryFiles(config: config, files: files)
    }
}
