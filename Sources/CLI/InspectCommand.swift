import ArgumentParser
import LMZoo

/// `lmzoo inspect FILE_OR_DIR`: format, architecture, metadata and tensors, without reading data.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show a checkpoint's format, architecture, metadata and tensors.")

    @Argument(help: "A checkpoint file, a sharded index, a model directory or a catalog model (name or folder).")
    var path: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        let checkpoint = try Checkpoint.open(ModelResolver.resolve(path).path)
        let store = checkpoint.tensors
        let parameters = CheckpointFormats.parameterCount(of: store)
        if output.json {
            Console.printJSON([
                "path": .string(checkpoint.path),
                "format": .string(checkpoint.format),
                "architecture": checkpoint.detectedArchitecture.map { .string($0) } ?? .null,
                "metadata": .object(JSONObject(store.metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
                "parameters": .int(parameters),
                "bytes": .int(store.totalByteCount),
                "tensors": .array(store.entries.map { name, tensor in
                    ["name": .string(name), "dtype": .string(tensor.dtype.rawValue), "shape": .array(tensor.shape.map { .int($0) })]
                }),
            ])
            return
        }
        Console.printTable([
            ["format", checkpoint.format],
            ["architecture", checkpoint.detectedArchitecture ?? "(unknown)"],
            ["tensors", "\(store.count) (\(parameters) parameters, \(store.totalByteCount) bytes)"],
        ] + store.metadata.sorted { $0.key < $1.key }.map { ["metadata", "\($0.key) = \($0.value)"] })
        print("")
        Console.printTable([["name", "dtype", "shape"]] + store.entries.map { name, tensor in
            [name, tensor.dtype.rawValue, Shape.describe(tensor.shape)]
        })
    }
}
