import LMZooCore

/// The `bert` architecture plugin. Registered so that `lmzoo list` shows it; loading a model
/// says "not implemented yet" until the plugin's own issue lands.
public enum BERTPlugin {
    /// The registry entry.
    public static let descriptor = ArchitectureDescriptor.notImplemented(
        name: "bert", summary: "BERT-style encoder (embeddings, fill-mask)")
}
