import Foundation
import LMZooCore
import LMZooFormats

/// Making, loading and writing distillation students (the architectures this engine trains).
public enum Students {
    /// A fresh student of `architecture` (`lstm`, `gpt2`/`gpt`) for a teacher of `vocabulary` ids, sized
    /// by the request's `embedding-size`, `hidden-size`, `layers`, `heads` (`context` sets GPT's positions).
    public static func make(architecture: String, vocabulary: Int, request: TrainingRequest, context: Int, seed: UInt64) throws -> any TrainableLanguageModel {
        switch architecture {
        case "lstm":
            return LSTMTrainable(sizes: try .read(request, vocabulary: vocabulary), seed: seed)
        case "gpt2", "gpt":
            return GPTTrainable(sizes: try .read(request, vocabulary: vocabulary, positions: context), seed: seed)
        default:
            throw TrainingError.badOption(name: "student-arch", value: architecture, reason: "this engine trains lstm and gpt2 students")
        }
    }

    /// The plugin name of a student made by ``make(architecture:vocabulary:request:context:seed:)``.
    public static func architecture(of student: any TrainableLanguageModel) -> String {
        student is GPTTrainable ? "gpt2" : "lstm"
    }

    /// A student to continue training: a directory with `config.json` (model_type lstm or gpt2) and
    /// `model.safetensors` in the names ``LSTMTrainable`` / ``GPTTrainable`` use.
    public static func load(directory: String) throws -> any TrainableLanguageModel {
        let configPath = Paths.join(directory, "config.json"), weightsPath = Paths.join(directory, "model.safetensors")
        guard let config = try JSONFile.read(path: configPath).objectValue else {
            throw TrainingError.badCheckpoint(path: configPath, reason: "not a JSON object")
        }
        func size(_ key: String) throws -> Int {
            guard let value = config[key]?.intValue, value > 0 else {
                throw TrainingError.badCheckpoint(path: configPath, reason: "\(key) missing or not a positive integer")
            }
            return value
        }
        let model: any TrainableLanguageModel
        switch config["model_type"]?.stringValue {
        case "lstm":
            model = LSTMTrainable(sizes: .init(vocabulary: try size("vocab_size"), embedding: try size("embedding_size"),
                                               hidden: try size("hidden_size"), layers: try size("num_layers")), seed: 0)
        case "gpt2":
            model = GPTTrainable(sizes: .init(vocabulary: try size("vocab_size"), positions: try size("n_positions"),
                                              channels: try size("n_embd"), layers: try size("n_layer"), heads: try size("n_head")), seed: 0)
        case let other:
            throw TrainingError.badCheckpoint(path: configPath, reason: "model_type \(other ?? "missing"): a student must be lstm or gpt2")
        }
        try model.parameters.load(try SafetensorsReader.read(path: weightsPath), path: weightsPath)
        return model
    }

    /// Writes `student` to `directory` in its plugin's form, keeping the teacher's tokenizer
    /// (``KeptTokenizer``): a byte-level BPE teacher's `vocab.json` + `merges.txt` (config
    /// `"tokenizer": "byte-level-bpe"`), else, for an LSTM student, `vocab.json` as the list of the
    /// teacher's token strings (characters when every token is one character, else words).
    public static func write(_ student: any TrainableLanguageModel, to directory: String, teacher: any LanguageModel) throws {
        let tensors = try student.parameters.tensorStore()
        let kept = try KeptTokenizer(teacher.tokenizer)
        switch student {
        case let lstm as LSTMTrainable:
            var config = lstm.sizes.config
            switch kept {
            case let .byteLevelBPE(bpe):
                config["tokenizer"] = .string(ByteLevelBPEFolder.configValue)
                try TrainedModelDirectory.write(directory, tensors: tensors, config: config)
                try ByteLevelBPEFolder.write(bpe, to: directory)
            case let .symbols(tokens, characters):
                config["tokenization"] = .string(characters ? "characters" : "words")
                try TrainedModelDirectory.write(directory, tensors: tensors, config: config, json: [("vocab.json", .array(tokens.map(JSONValue.string)))])
            }
        case let gpt as GPTTrainable:
            guard case let .byteLevelBPE(bpe) = kept else {
                throw TrainingError.incompatibleTeacher("a gpt2 student needs a teacher with a byte-level BPE tokenizer")
            }
            try TrainedModelDirectory.write(directory, tensors: tensors,
                                            config: gpt.sizes.config(bos: teacher.tokenizer.bosID, eos: teacher.tokenizer.eosID))
            try ByteLevelBPEFolder.write(bpe, to: directory)
        default:
            throw TrainingError.badOption(name: "student", value: String(describing: type(of: student)), reason: "no writer for this student")
        }
    }
}

/// The teacher's tokenizer as a student keeps it: byte-level BPE files, or a list of symbols that the
/// student's own plugin reads (characters or whitespace words). A WordPiece teacher cannot be kept so.
public enum KeptTokenizer {
    case byteLevelBPE(ByteLevelBPETokenizer)
    case symbols([String], characters: Bool)

    public init(_ tokenizer: any Tokenizer) throws {
        if let bpe = tokenizer as? ByteLevelBPETokenizer {
            self = .byteLevelBPE(bpe)
        } else if tokenizer is WordPieceTokenizer {
            throw TrainingError.incompatibleTeacher("a WordPiece (BERT) tokenizer cannot be kept by a student; use a causal teacher")
        } else {
            let tokens = (0..<tokenizer.vocabularySize).map { tokenizer.token(for: $0) ?? "<\($0)>" }
            // Characters: every token one character, apart from markers such as `<unk>` and `<eos>`.
            let ordinary = tokens.filter { !($0.count > 2 && $0.hasPrefix("<") && $0.hasSuffix(">")) }
            self = .symbols(tokens, characters: !ordinary.isEmpty && ordinary.allSatisfy { $0.count == 1 })
        }
    }
}
