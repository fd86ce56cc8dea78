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

    /// Writes `student` to `directory` in its plugin's form, with the teacher's vocabulary: the teacher
    /// directory's tokenizer files are copied; an LSTM student gets `vocab.json` as the list of the
    /// teacher's token strings (characters when every token is one character, else words).
    public static func write(_ student: any TrainableLanguageModel, to directory: String, teacher: any LanguageModel,
                             teacherDirectory: String?) throws {
        let tensors = try student.parameters.tensorStore()
        switch student {
        case let lstm as LSTMTrainable:
            let tokens = (0..<teacher.tokenizer.vocabularySize).map { teacher.tokenizer.token(for: $0) ?? "<\($0)>" }
            var config = lstm.sizes.config
            config["tokenization"] = .string(tokens.allSatisfy { $0.count == 1 } ? "characters" : "words")
            try TrainedModelDirectory.write(directory, tensors: tensors, config: config, json: [("vocab.json", .array(tokens.map(JSONValue.string)))])
        case let gpt as GPTTrainable:
            guard let teacherDirectory, byteLevelBPEFiles.contains(where: { Paths.exists(Paths.join(teacherDirectory, $0)) }) else {
                throw TrainingError.incompatibleTeacher("a gpt2 student needs the teacher's byte-level BPE files (vocab.json + merges.txt) beside its weights")
            }
            try TrainedModelDirectory.write(directory, tensors: tensors,
                                            config: gpt.sizes.config(bos: teacher.tokenizer.bosID, eos: teacher.tokenizer.eosID))
            _ = try copyByteLevelBPEFiles(from: teacherDirectory, to: directory)
        default:
            throw TrainingError.badOption(name: "student", value: String(describing: type(of: student)), reason: "no writer for this student")
        }
    }

    /// A byte-level BPE tokenizer's files, as a GPT-2 model directory may hold them.
    static let byteLevelBPEFiles = ["vocab.json", "merges.txt", "tokenizer.json", "encoder.json", "vocab.bpe"]

    /// Copies (atomically) those of ``byteLevelBPEFiles`` that `teacherDirectory` holds into
    /// `directory`; returns their names.
    static func copyByteLevelBPEFiles(from teacherDirectory: String?, to directory: String) throws -> [String] {
        guard let teacherDirectory else { return [] }
        var copied: [String] = []
        for name in byteLevelBPEFiles where Paths.exists(Paths.join(teacherDirectory, name)) {
            guard let bytes = FileManager.default.contents(atPath: Paths.join(teacherDirectory, name)) else {
                throw TrainingError.badCheckpoint(path: Paths.join(teacherDirectory, name), reason: "cannot be read")
            }
            try AtomicFileWriter.write(Array(bytes), to: Paths.join(directory, name))
            copied.append(name)
        }
        return copied
    }
}
