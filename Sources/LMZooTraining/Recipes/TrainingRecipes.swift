import LMZooCore

/// The gradient-trained architectures `lmzoo train` builds from scratch with this engine (the
/// estimation-trained ones, n-gram and HMM, train through their registry entry's `train` hook).
public enum TrainingRecipes {
    /// A recipe: the request, and whether to draw a progress bar on stderr.
    public typealias Recipe = (TrainingRequest, Bool) throws -> JSONObject

    /// The recipe for architecture `name`, if this engine trains it.
    public static func recipe(named name: String) -> Recipe? {
        switch name {
        case "lstm": LSTMRecipe.train
        case "gpt2", "gpt": GPTRecipe.train
        case "bert": BERTRecipe.train
        default: nil
        }
    }

    /// The options (long names without dashes) the recipe for `name` reads, if this engine trains it.
    public static func options(named name: String) -> [String]? {
        let gradient = ["steps", "batch-size", "context", "learning-rate", "warmup", "weight-decay", "clip", "seed",
                        "checkpoint-every", "resume"]
        switch name {
        case "lstm": return ["embedding-size", "hidden-size", "layers"] + gradient
        case "gpt2", "gpt": return ["vocab-size", "embedding-size", "layers", "heads"] + gradient
        case "bert": return ["vocab-size", "hidden-size", "layers", "heads"] + gradient
        default: return nil
        }
    }

    /// Refuses an option of `options` (as `lmzoo train` passes them; `command` is not an option) that
    /// the trainer of `architecture`, a recipe or a plugin's ``ArchitectureDescriptor/train``, does not
    /// read: ``TrainingRequestError/inapplicable(option:architecture:reads:)``. An architecture that
    /// cannot be trained passes (training it says so).
    public static func checkOptions(_ options: [String: String], architecture: String,
                                    registry: ArchitectureRegistry = .shared) throws {
        let plugin = try? registry.descriptor(named: architecture)
        guard let reads = Self.options(named: architecture) ?? (plugin?.train == nil ? nil : plugin?.trainOptions) else { return }
        for name in options.keys.sorted() where name != "command" && !reads.contains(name) {
            throw TrainingRequestError.inapplicable(option: name, architecture: architecture, reads: reads)
        }
    }
}
