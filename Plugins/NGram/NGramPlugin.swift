import LMZooCore
import LMZooFormats

/// The `ngram` architecture plugin. Registered so that `lmzoo list` shows it; loading a model
/// says "not implemented yet" until the plugin's own issue lands.
public enum NGramPlugin {
    /// The registry entry.
    public static let descriptor = ArchitectureDescriptor.notImplemented(
        name: "ngram", summary: "n-gram language model (ARPA, KenLM-exact scoring)")

    /// Checkpoint formats this plugin adds to `lmzoo convert` / `inspect` (registered by `LMZoo.registerBuiltins`).
    public static let formats: [any CheckpointFormat] = []
}
