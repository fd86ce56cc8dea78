import ArgumentParser
import Foundation
import LMZoo

/// `lmzoo convert IN OUT`: container and dtype conversion, written atomically. OUT may be a model
/// directory (an existing directory, or a name ending in `/` or without an extension, and no `--to`):
/// `model.safetensors` + `config.json` + the architecture's companion files (``ModelDirectoryWriter``).
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert", abstract: "Convert a checkpoint to another container and/or dtype.",
        discussion: """
            OUT is written to a temporary file beside it and renamed into place: it is whole or untouched. \
            An existing OUT is replaced only with --force; OUT naming an input file (also through a symlink or hard link) is refused. \
            An OUT that is a directory (existing, or named with a trailing / or without an extension) receives a model \
            directory: model.safetensors, config.json and companion files such as vocab.json (architectures: \(ArchitectureRegistry.shared.names { $0.modelDirectory != nil })), \
            written whole beside it and renamed into place (--force replaces only an empty or model folder).
            """)

    @Argument(help: "The checkpoint to read (file, sharded index, model directory or catalog model).")
    var input: String

    @Argument(help: "The file or model directory to write.")
    var output: String

    @Option(name: .customLong("to"), help: "Output format (default: from OUT's extension).")
    var format: String?

    @Option(help: "Convert floating-point tensors to f32, f16, bf16 (\(ConvertCommand.blockTypeNames): GGUF only).")
    var dtype: String?

    @Option(help: "Re-map names and shapes to another ecosystem's convention (hf, torch, keras, gguf).")
    var layout: String?

    @Option(help: "Architecture for --layout when the checkpoint does not name it (\(ArchitectureRegistry.shared.names { $0.layouts != nil })).")
    var arch: String?

    @Option(help: "Tied tensors (one storage, two names): 'duplicate' writes each name, 'once' writes the bytes once and records the alias.")
    var shared: String = SharedTensorPolicy.duplicate.rawValue

    @Flag(name: .customLong("drop-head"), help: "Leave out a head OUT's convention has no names for (a masked-LM head in GGUF).")
    var dropHead = false

    @Flag(help: "Replace OUT (or a model directory's files) if it already exists.")
    var force = false

    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let started = Date()
        guard let sharedPolicy = SharedTensorPolicy(rawValue: shared) else {
            throw UsageError("--shared must be one of: \(SharedTensorPolicy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let targetLayout = try layout.map { name in
            guard let parsed = LayoutName(rawValue: name) else { throw UsageError(LayoutError.unknownLayout(name).description) }
            return parsed
        }
        if writesDirectory {
            return try writeDirectory(layout: targetLayout, sharedPolicy: sharedPolicy, started: started)
        }
        let writer = try outputFormat()
        let targetDType = try parseDType(for: writer)
        let source = try ModelResolver.resolve(input, architecture: arch)
        try StagedOutput.refuseInputs(output, inputs: [source.path])  // before anything is read (a bad input is reported before an existing OUT)
        if Paths.isDirectory(output) {
            throw UsageError("\(output): is a directory; --to \(format ?? "") writes a single file (leave out --to for a model directory)")
        }
        let checkpoint = try Checkpoint.open(source.path)
        try StagedOutput.check(output, inputs: checkpoint.files, replace: force)
        let (tensors, notes) = try ConversionPlan.prepare(checkpoint, for: writer, layout: targetLayout, architecture: source.architecture,
                                                          dtype: targetDType, dropHead: dropHead)
        notes.forEach(Console.note)
        warnIfLossy(tensors, to: targetDType)
        let summary = try writer.write(tensors, to: output,
                                       options: WriteOptions(dtype: targetDType, sharedTensors: sharedPolicy))
        let seconds = Date().timeIntervalSince(started)
        if outputOptions.json {
            Console.printJSON(["out": .string(output), "format": .string(writer.name), "tensors": .int(summary.tensorCount),
                               "bytes": .int(summary.byteCount), "seconds": .double(seconds)])
        } else {
            print("wrote \(output): \(writer.name), \(summary.tensorCount) tensors, \(summary.byteCount) bytes in \(String(format: "%.3f", seconds)) s")
        }
    }

    /// OUT names a model directory: no `--to`, and OUT is a directory, ends in `/`, or has no extension.
    private var writesDirectory: Bool {
        format == nil && (Paths.isDirectory(output) || output.hasSuffix("/") || Paths.fileExtension(of: output).isEmpty)
    }

    private func writeDirectory(layout: LayoutName?, sharedPolicy: SharedTensorPolicy, started: Date) throws {
        let targetDType = try parseDType(for: SafetensorsFormat())
        if Paths.exists(output), !Paths.isDirectory(output) { throw LocatedError(path: output, ModelDirectoryError.notADirectory) }
        let source = try ModelResolver.resolve(input, architecture: arch)
        let checkpoint = try Checkpoint.open(source.path)
        // The folder is written whole beside OUT and renamed into place (never merged into an old one).
        var inputs = checkpoint.files + [source.path]
        if let directory = checkpoint.directory { inputs += [directory, Paths.join(directory, "config.json")] }
        let target = try StagedOutput(destination: output, inputs: inputs, replace: force)
        let options = WriteOptions(dtype: targetDType, sharedTensors: sharedPolicy)
        let summary = try target.write { path in
            try ModelDirectoryWriter.write(checkpoint, to: path, layout: layout, architecture: source.architecture, options: options)
        }
        summary.notes.forEach(Console.note)
        let seconds = Date().timeIntervalSince(started)
        if outputOptions.json {
            Console.printJSON(["out": .string(output), "format": .string("directory (safetensors)"),
                               "tensors": .int(summary.weights.tensorCount), "bytes": .int(summary.weights.byteCount),
                               "seconds": .double(seconds), "files": .array(summary.files.map { .string(Paths.fileName(of: $0)) })])
        } else {
            print("wrote \(output): model directory (\(summary.files.map { Paths.fileName(of: $0) }.joined(separator: ", "))), "
                  + "\(summary.weights.tensorCount) tensors, \(summary.weights.byteCount) bytes in \(String(format: "%.3f", seconds)) s")
        }
    }

    /// OUT's format, from `--to` or else OUT's extension: an unknown name or extension, or a format
    /// lmzoo only reads, is a usage mistake.
    private func outputFormat() throws -> any CheckpointFormat {
        do {
            return try CheckpointFormats.forWriting(path: output, explicit: format)
        } catch {
            throw UsageError(String(describing: error))
        }
    }

    /// What `--dtype` accepts: the floating-point element types and every block type lmzoo can write.
    static let dtypes: [DType] = [.f32, .f16, .bf16, .f64] + BlockQuantization.writable

    /// `q8_0` (the writable block types, lower case, comma-separated).
    static var blockTypeNames: String { BlockQuantization.writable.map { $0.rawValue.lowercased() }.joined(separator: ", ") }

    private func parseDType(for writer: any CheckpointFormat) throws -> DType? {
        guard let dtype else { return nil }
        guard let parsed = DType(userName: dtype), ConvertCommand.dtypes.contains(parsed) else {
            throw UsageError("--dtype \(dtype): expected one of f32, f16, bf16, \(ConvertCommand.blockTypeNames)")
        }
        guard writer.canHold(parsed) else {
            let holders = CheckpointFormats.all.filter { $0.canWrite && $0.canHold(parsed) }.map(\.name)
            throw UsageError("--dtype \(dtype): \(writer.name) cannot hold \(parsed.rawValue) tensors (\(holders.isEmpty ? "no writer can" : "only " + holders.joined(separator: ", ")))")
        }
        return parsed
    }

    private func warnIfLossy(_ store: TensorStore, to target: DType?) {
        guard let target else { return }
        let narrowed = Set(store.entries.map(\.tensor.dtype).filter { $0.isFloatingPoint && DTypeConversion.isLossy(from: $0, to: target) })
        if !narrowed.isEmpty {
            let names = narrowed.map(\.rawValue).sorted().joined(separator: ", ")
            Console.warn("lossy conversion \(names) -> \(target.rawValue): values are rounded to nearest even")
        }
    }
}
