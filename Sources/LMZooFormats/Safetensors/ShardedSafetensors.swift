import LMZooCore

/// Sharded checkpoints: `model.safetensors.index.json` (`{"metadata": {...}, "weight_map":
/// {tensor: shard file}}`) beside the shard files, as Hugging Face writes them.
public enum ShardedSafetensors {
    /// The index file name Hugging Face uses.
    public static let indexFileName = "model.safetensors.index.json"
    /// Largest index file accepted.
    static let maxIndexSize = ReaderLimits.shardIndexBytes

    /// Reads every shard the index names and returns their tensors in shard order, then file
    /// order. Every `weight_map` entry must be found in the shard it names.
    public static func read(indexPath: String) throws -> TensorStore { try open(indexPath: indexPath).tensors }

    /// Like ``read(indexPath:)``, also returning the shard files' paths.
    public static func open(indexPath: String) throws -> (tensors: TensorStore, shardPaths: [String]) {
        let index = try LocatedError.at(indexPath) { try ShardIndex(json: try JSONFile.read(path: indexPath, limit: maxIndexSize)) }
        let directory = Paths.directory(of: indexPath)
        var store = TensorStore()
        var shardsSeen = Set<String>()
        for shard in index.shards {
            let shardPath = Paths.join(directory, shard)
            guard FileIdentity(path: shardPath) != nil else {
                throw LocatedError(path: indexPath, ShardIndexError.missingShard(shard))
            }
            let shardStore = try SafetensorsReader.read(path: shardPath)
            if shardsSeen.isEmpty { store.metadata = shardStore.metadata }
            shardsSeen.insert(shard)
            for (name, tensor) in shardStore.entries {
                if let expected = index.weightMap[name], expected != shard {
                    throw LocatedError(path: indexPath, ShardIndexError.tensorInWrongShard(name, listed: expected, found: shard))
                }
                try LocatedError.at(shardPath) { try store.add(name, tensor) }
            }
        }
        for (name, shard) in index.orderedWeightMap where store[name] == nil {
            throw LocatedError(path: indexPath, ShardIndexError.tensorNotInShard(name, shard: shard))
        }
        return (store, index.shards.map { Paths.join(directory, $0) })
    }
}

/// A parsed, validated shard index.
struct ShardIndex {
    var orderedWeightMap: [(String, String)] = []
    var weightMap: [String: String] = [:]
    /// Distinct shard files in order of first appearance.
    var shards: [String] = []

    init(json: JSONValue) throws {
        guard let map = json["weight_map"]?.objectValue else { throw ShardIndexError.noWeightMap }
        for (tensor, value) in map.entries {
            guard let shard = value.stringValue else { throw ShardIndexError.badShardName(tensor, "not a string") }
            guard !shard.isEmpty, !shard.hasPrefix("/"), !shard.split(separator: "/").contains("..") else {
                throw ShardIndexError.badShardName(tensor, shard)
            }
            orderedWeightMap.append((tensor, shard))
            weightMap[tensor] = shard
            if !shards.contains(shard) { shards.append(shard) }
        }
    }
}

/// Why a shard index was refused.
public enum ShardIndexError: Error, Equatable, CustomStringConvertible {
    case noWeightMap
    case badShardName(String, String)
    case missingShard(String)
    case tensorNotInShard(String, shard: String)
    case tensorInWrongShard(String, listed: String, found: String)

    public var description: String {
        switch self {
        case .noWeightMap: "shard index has no 'weight_map' object"
        case let .badShardName(tensor, shard): "shard file for '\(tensor)' is not a plain relative name: \(shard)"
        case let .missingShard(shard): "shard file '\(shard)' named in the index does not exist"
        case let .tensorNotInShard(tensor, shard): "tensor '\(tensor)' is not in shard '\(shard)' where the index puts it"
        case let .tensorInWrongShard(tensor, listed, found): "tensor '\(tensor)' is in shard '\(found)' but the index puts it in '\(listed)'"
        }
    }
}
