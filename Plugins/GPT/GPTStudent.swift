import LMZooCore
import LMZooFormats
import LMZooTraining

/// GPT-2 distillation students (`lmzoo distill --student-arch gpt2`): ``GPTTrainable`` sized by the
/// request, written as a GPT-2 directory with the teacher's byte-level BPE files.
public enum GPTStudent {
    /// The factory ``GradientDistillation`` uses.
    public static let factory = GradientStudent(
        make: { vocabulary, request, context, seed in
            GPTTrainable(sizes: try .read(request, vocabulary: vocabulary, positions: context), seed: seed)
        },
        fromConfig: { object, path in
            // The plugin's own config.json reader: one place for GPT-2's keys.
            let config = try GradientStudent.reading(path) {
                let config = try GPTConfig.decode(object)
                try config.validate()
                return config
            }
            return GPTTrainable(sizes: .init(vocabulary: config.vocabSize, positions: config.contextLength, channels: config.embeddingSize,
                                             layers: config.layerCount, heads: config.headCount), seed: 0)
        },
        write: { student, directory, teacher in
            guard let gpt = student as? GPTTrainable else {
                throw TrainingError.badOption(name: "student", value: String(describing: type(of: student)), reason: "not a GPT-2 student")
            }
            guard case let .byteLevelBPE(bpe) = try KeptTokenizer(teacher.tokenizer) else {
                throw TrainingError.incompatibleTeacher("a gpt2 student needs a teacher with a byte-level BPE tokenizer")
            }
            try TrainedModelDirectory.write(directory, tensors: try gpt.parameters.tensorStore(),
                                            config: gpt.sizes.config(bos: teacher.tokenizer.bosID, eos: teacher.tokenizer.eosID))
            try ByteLevelBPEFolder.write(bpe, to: directory)
        })
}
