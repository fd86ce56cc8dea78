import LMZooCore

/// The LSTM plugin's model-directory hook (`lmzoo convert model.keras OUT_DIR --layout torch`, and
/// back with `--layout keras`): beside `model.safetensors` the directory holds `config.json`
/// (`model_type` lstm and the sizes, CLI.md, plus the gate activation when it is not the sigmoid)
/// and, when the input has a vocabulary, `vocab.json` with the tokenization it was read with.
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
        }
        return ModelDirectoryFiles(config: config, files: files)
    }
}
