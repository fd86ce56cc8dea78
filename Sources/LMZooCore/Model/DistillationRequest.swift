/// What `lmzoo distill` hands to the student architecture's ``ArchitectureDescriptor/distill`` hook.
/// The command loads the teacher, tokenizes the corpus with it and owns OUT (a staging folder); the
/// hook makes (or continues) a student, trains it and writes it into ``out``.
public struct DistillationRequest {
    /// The teacher, loaded.
    public let teacher: any LanguageModel
    /// The teacher's file or directory (the key of a teacher cache).
    public let teacherPath: String
    /// The training text's path.
    public let corpus: String
    /// The corpus as the teacher's token ids.
    public let ids: [Int]
    /// The directory to write the student into (created by the hook).
    public let out: String
    /// A student directory to continue (its `config.json` names this architecture), or nil for a fresh one.
    public let student: String?
    /// The command's options by long name without dashes (`steps` -> `"200"`, `temperature`,
    /// `alpha`, `context`, `seed`, `embedding-size`, `teacher-cache`, ...); each hook reads its own.
    public let options: [String: String]
    /// Whether to draw a progress bar on stderr.
    public let showProgress: Bool

    public init(teacher: any LanguageModel, teacherPath: String, corpus: String, ids: [Int], out: String, student: String?,
                options: [String: String], showProgress: Bool) {
        self.teacher = teacher
        self.teacherPath = teacherPath
        self.corpus = corpus
        self.ids = ids
        self.out = out
        self.student = student
        self.options = options
        self.showProgress = showProgress
    }

    /// The options as a ``TrainingRequest`` (its typed readers: `int`, `double`, `flag`).
    public var trainingRequest: TrainingRequest {
        TrainingRequest(corpus: corpus, out: out, options: options, showProgress: showProgress)
    }
}
