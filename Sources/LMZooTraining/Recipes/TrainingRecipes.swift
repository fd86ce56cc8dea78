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
}
