import Foundation
import LMZooCore
import LMZooFormats
import LMZooTraining

/// The `lstm` architecture plugin: PyTorch (`word_language_model` state dicts, any prefix) and Keras 3
/// (`.keras`, `.weights.h5`) LSTM language models, run exactly (see ``LSTMModel``).
public enum LSTMPlugin {
    /// The registry entry.
    public static let descriptor = ArchitectureDescriptor(
        name: "lstm", summary: "LSTM language model (PyTorch / Keras layouts)",
        capabilities: [.tokenize, .predict, .score, .generate],
        train: { try LSTMRecipe.train($0, progress: $0.showProgress) },
        trainOptions: ["embedding-size", "hidden-size", "layers"] + TrainerOptions.requestOptions,
        modelDirectory: { request in try LSTMModelDirectory.files(request) },
        layouts: LSTMLayout.layouts,
        distill: { try GradientDistillation.run($0, student: LSTMStudent.factory) }
    ) { source in try load(source) }

    /// Builds a model from a checkpoint: names are brought to the canonical PyTorch layout, sizes come
    /// from `config.json` (checked against the tensors) or else from the tensor shapes, the gate
    /// activation from the Keras config when there is one, and the vocabulary from `vocab.json`.
    public static func load(_ source: ModelSource) throws -> LSTMModel {
        let canonical = try LSTMNames.canonicalize(source.tensors)
        var config: LSTMConfig
        if let object = source.config {
            config = try LSTMConfig.decode(object)
            try config.validate()
            try LSTMWeights.checkConsistency(config, canonical)
        } else {
            config = try LSTMWeights.inferConfig(canonical)
        }
        if config.recurrentActivation == nil {
            config.recurrentActivation = try KerasLSTMOptions.recurrentActivation(source.tensors.metadata)
        }
        let weights = try LSTMWeights(canonical, config: config)
        return LSTMModel(weights: weights, tokenizer: try tokenizer(source, config: config))
    }

    /// `vocab.json` as a symbol list, or a kept byte-level BPE tokenizer (a distilled student's, ``ByteLevelBPEFolder``).
    private static func tokenizer(_ source: ModelSource, config: LSTMConfig) throws -> any Tokenizer {
        if let bpe = try ByteLevelBPEFolder.tokenizer(directory: source.directory, config: source.config) {
            guard bpe.vocabularySize == config.vocabSize else {
                throw LSTMError.badVocabulary("the byte-level BPE tokenizer has \(bpe.vocabularySize) tokens for a model of vocab_size \(config.vocabSize)")
            }
            return bpe
        }
        if let directory = source.directory {
            let path = Paths.join(directory, config.vocabFile ?? "vocab.json")
            if Paths.exists(path) {
                return try LSTMTokenizer.read(path: path, vocabularySize: config.vocabSize, tokenization: config.tokenization)
            }
            if config.vocabFile != nil { throw LSTMError.badVocabulary("\(path) does not exist") }
        }
        return LSTMTokenizer(symbols: nil, vocabularySize: config.vocabSize)
    }
}

/// What a Keras model config says about its LSTM layers.
enum KerasLSTMOptions {
    /// The `recurrent_activation` every LSTM layer of the Keras config in `metadata` uses (nil without
    /// a Keras config). Keras 2 files (legacy `.h5`) mean Keras 2's hard sigmoid by `hard_sigmoid`.
    static func recurrentActivation(_ metadata: [String: String]) throws -> LSTMGateActivation? {
        guard let text = metadata[KerasArchive.configKey] ?? metadata["keras.model_config"],
              let config = try? JSONParser.parse(text) else { return nil }
        var layers: [JSONObject] = []
        collectLSTMConfigs(config, into: &layers)
        let legacy = metadata["keras.format"] == "legacy-h5" || metadata["keras.keras_version"]?.hasPrefix("2.") == true
        var found: Set<LSTMGateActivation> = []
        for layer in layers {
            let name = layer["name"]?.stringValue ?? "LSTM"
            if let activation = activationName(layer["activation"]), activation != "tanh" {
                throw LSTMError.unsupported("layer \(name): activation \(activation) (only tanh)")
            }
            switch activationName(layer["recurrent_activation"]) ?? "sigmoid" {
            case "sigmoid": found.insert(.sigmoid)
            case "hard_sigmoid": found.insert(legacy ? .hardSigmoidKeras2 : .hardSigmoid)
            case let other: throw LSTMError.unsupported("layer \(name): recurrent_activation \(other)")
            }
            if layer["go_backwards"]?.boolValue == true {
                throw LSTMError.unsupported("layer \(name): go_backwards")
            }
        }
        guard found.count <= 1 else { throw LSTMError.unsupported("LSTM layers with different recurrent_activation") }
        return found.first
    }

    private static func activationName(_ value: JSONValue?) -> String? {
        value?.stringValue ?? value?["config"]?["name"]?.stringValue ?? value?["class_name"]?.stringValue
    }

    private static func collectLSTMConfigs(_ value: JSONValue, into out: inout [JSONObject]) {
        switch value {
        case let .object(object):
            if object["class_name"]?.stringValue == "LSTM", let config = object["config"]?.objectValue { out.append(config) }
            for (_, child) in object.entries { collectLSTMConfigs(child, into: &out) }
        case let .array(items):
            for item in items { collectLSTMConfigs(item, into: &out) }
        default: break
        }
    }
}
