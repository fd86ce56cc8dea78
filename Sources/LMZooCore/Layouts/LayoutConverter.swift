/// Converts a checkpoint's tensor names and shapes from one ecosystem's convention to another's:
/// source convention -> canonical names of the architecture -> target convention (N + M pieces).
/// Generic: every architecture's conventions come from its plugin's ``ArchitectureDescriptor/layouts``.
public enum LayoutConverter {
    /// The architectures whose conventions `registry` knows, in registration order.
    public static func architectures(in registry: ArchitectureRegistry = .shared) -> [String] {
        registry.all.filter { $0.layouts != nil }.map(\.name)
    }

    /// Guesses the architecture from tensor names (GGUF files name it in `general.architecture`):
    /// the first registered plugin that recognises them.
    public static func detectArchitecture(_ store: TensorStore, registry: ArchitectureRegistry = .shared) -> String? {
        let names = Set(store.names)
        return registry.all.first { $0.layouts?.recognises(names) == true }?.name
    }

    /// The convention `store`'s names follow, for `architecture` (nil: the registry has no layouts for it).
    public static func detectLayout(_ store: TensorStore, architecture: String, registry: ArchitectureRegistry = .shared) -> LayoutName? {
        (try? registry.descriptor(named: architecture))?.layouts?.layout(of: store.names)
    }

    /// `store` in the `target` convention; `notes` says what was dropped or synthesised. A head the
    /// target has no names for (BERT's masked-LM head in GGUF) is refused
    /// (``LayoutError/headHasNoNames(_:)``) unless `dropHead`.
    public static func convert(_ store: TensorStore, architecture: String?, to target: LayoutName, dropHead: Bool = false,
                               registry: ArchitectureRegistry = .shared, notes: inout [String]) throws -> TensorStore {
        let named = architecture.flatMap { try? registry.descriptor(named: $0) }.flatMap { $0.layouts == nil ? nil : $0 }
        guard let descriptor = named ?? detectArchitecture(store, registry: registry).flatMap({ try? registry.descriptor(named: $0) }),
              let layouts = descriptor.layouts
        else {
            throw LayoutError.cannotDetect("the architecture")
        }
        let source = layouts.layout(of: store.names)
        if source == target { return store }
        guard let from = layouts.convention(source) else { throw LayoutError.unsupported(architecture: descriptor.name, layout: source) }
        guard let to = layouts.convention(target) else { throw LayoutError.unsupported(architecture: descriptor.name, layout: target) }
        let canonical = try from.toCanonical(store, &notes)
        return try to.fromCanonical(canonical, dropHead, &notes)
    }
}
