import LMZooCore
import LMZooFormats
import LMZooTraining

/// LSTM distillation students (`lmzoo distill --student-arch lstm`): ``LSTMTrainable`` sized by the
/// request, written as an LSTM directory that keeps the teacher's tokenizer: a byte-level BPE teacher's
/// `vocab.json` + `merges.txt` (config `"tokenizer": "byte-level-bpe"`), else `vocab.json` as the list
/// of the teacher's token strings (characters when every token is one character, else words).
public enum LSTMStudent {
    /// The factory ``GradientDistillation`` uses.
    public static let factory = GradientStudent(
        make: { vocabulary, request, _, seed in
            LSTMTrainable(sizes: try .read(request, vocabulary: vocabulary), seed: seed)
        },
        fromConfig: { object, path in
            // The plugin's own config.json reader: one place for the LSTM's keys.
            let config = try GradientStudent.reading(path) {
                let config = try LSTMConfig.decode(object)
                try config.validate()
                return config
            }
            return LSTMTrainable(sizes: .init(vocabulary: config.vocabSize, embedding: config.embeddingSize, hidden: config.hiddenSize,
                                              layers: config.numLayers), seed: 0)
        },
        write: { student, directory, teacher in
            guard let lstm = student as? LSTMTrainable else {
                throw TrainingError.badOption(name: "student", value: String(describing: type(of: student)), reason: "not an LSTM student")
            }
            let tensors = try lstm.parameters.tensorStore()
            var config = lstm.sizes.config
            switch try KeptTokenizer(teacher.tokenizer) {
            case let .byteLevelBPE(bpe):
                config["tokenizer"] = .string(ByteLevelBPEFolder.configValue)
                try TrainedModelDirectory.write(directory, tensors: tensors, config: config)
                try ByteLevelBPEFolder.write(bpe, to: directory)
            case let .symbols(tokens, characters):
                config["tokenization"] = .string(characters ? "characters" : "words")
                try TrainedModelDirectory.write(directory, tensors: tensors, config: config, json: [("vocab.json", .array(tokens.map(JSONValue.string)))])
            }
        })
}
