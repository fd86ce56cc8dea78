import Foundation
import LMZooCore
import LMZooFormats

/// Writes a Hugging Face-style model directory: `model.safetensors`, `config.json` and companion
/// JSON files (vocabulary), each atomically.
public enum TrainedModelDirectory {
    public static func write(_ directory: String, tensors: TensorStore, config: JSONObject, json files: [(String, JSONValue)] = []) throws {
        try create(directory)
        _ = try SafetensorsWriter.write(tensors, to: Paths.join(directory, "model.safetensors"))
        try writeJSON(.object(config), to: Paths.join(directory, "config.json"))
        for (name, value) in files { try writeJSON(value, to: Paths.join(directory, name)) }
    }

    /// Creates `directory` (and its parents) unless it exists.
    public static func create(_ directory: String) throws { try Paths.createDirectories(directory) }

    public static func writeJSON(_ value: JSONValue, to path: String) throws {
        try AtomicFileWriter.write(Array((value.prettyText + "\n").utf8), to: path)
    }
}
