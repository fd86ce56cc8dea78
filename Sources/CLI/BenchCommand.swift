import ArgumentParser
import Foundation
import LMZoo

/// `lmzoo bench [MODEL ...] [--corpus F] [--plot FILE.svg]`: every model scored on one corpus, side by side.
/// Each model runs in its own child process (`lmzoo bench-model`), so load time and peak RSS are its own.
struct BenchCommand: ParsableCommand, OptionChecking {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Compare models on one corpus: quality, speed, size, memory.",
        discussion: "With no MODEL, every installed catalog model runs on the catalog's default corpus (held-out fortunes).")

    @Argument(help: "Models (catalog names, files or directories); default: the whole catalog.") var models: [String] = []
    @Option(help: "UTF-8 text to score; default: the catalog's held-out corpus.") var corpus: String?
    @Option(help: "Also draw quality vs speed as an SVG file.") var plot: String?
    @Flag(help: "Print CSV instead of a table.") var csv = false
    @Flag(help: "Print a Markdown table.") var markdown = false
    @OptionGroup var output: OutputOptions

    func checkOptions() throws {
        guard [csv, markdown, output.json].filter({ $0 }).count <= 1 else {
            throw ValidationError("give at most one of --json, --csv, --markdown")
        }
    }

    func run() throws {
        let catalog = try Catalog.standard()
        let corpusPath = try resolveCorpus(catalog)
        let corpusBytes = try BenchMeasurement.corpusBytes(corpusPath)
        let targets = try resolveModels(catalog)
        var rows: [BenchRow] = []
        var failures = 0
        for (index, model) in targets.enumerated() {
            let label = "[\(index + 1)/\(targets.count)] \(model)"
            if let row = try runChild(model: model, corpus: corpusPath, label: label) { rows.append(row) } else { failures += 1 }
        }
        let report = BenchReport(corpus: corpusPath, corpusBytes: corpusBytes, rows: rows)
        if let plot {
            try LocatedError.at(plot) { try AtomicFileWriter.write(Array(BenchPlot.svg(report).utf8), to: plot) }
        }
        if output.json { Console.printJSON(report.json) }
        else if csv { print(report.csv) }
        else if markdown { print(report.markdown) }
        else {
            print("corpus: \(corpusPath) (\(BenchReport.bytes(corpusBytes)))")
            print(report.table)
            if let plot { print("plot: \(plot)") }
        }
        if failures > 0 { throw BenchFailure(count: failures) }
    }

    private func resolveCorpus(_ catalog: Catalog?) throws -> String {
        if let corpus { return corpus }
        guard let catalog else { throw CatalogError.noCatalog }
        guard let path = catalog.defaultCorpus else { throw UsageError("the catalog names no default corpus: give --corpus") }
        guard Paths.exists(path) else {
            throw LocatedError(path: path, BenchSetupError.missingCorpus(setup: catalog.setupCommand))
        }
        return path
    }

    private func resolveModels(_ catalog: Catalog?) throws -> [String] {
        if !models.isEmpty { return models }
        guard let catalog else { throw CatalogError.noCatalog }
        for entry in catalog.entries where !entry.isInstalled {
            Console.warn("skipping \(entry.name): not installed (\(entry.install ?? catalog.setupCommand))")
        }
        let installed = catalog.entries.filter(\.isInstalled).map(\.name)
        guard !installed.isEmpty else { throw UsageError("no installed catalog models: run \(catalog.setupCommand)") }
        return installed
    }

    /// Runs `lmzoo bench-model` for one model; nil (after its error went to stderr) when it failed.
    private func runChild(model: String, corpus: String, label: String) throws -> BenchRow? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["bench-model", model, "--corpus", corpus, "--label", label]
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            Console.warn("\(model): benchmark failed (exit \(process.terminationStatus))")
            return nil
        }
        return try BenchRow(json: data.withUnsafeBytes { try JSONParser.parse($0) })
    }
}

/// `lmzoo bench-model MODEL --corpus F`: one model's benchmark row as JSON (what `bench` runs per child).
struct BenchModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-model", abstract: "Benchmark one model in this process (used by `lmzoo bench`).", shouldDisplay: false)

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "UTF-8 text to score.") var corpus: String
    @Option(help: "Progress label.") var label: String?

    func run() throws {
        let bar = ProgressLine(label: label ?? modelOptions.model)
        let row = try BenchMeasurement.run(model: modelOptions.model, architecture: modelOptions.arch, corpusPath: corpus,
                                           progress: { bar.update($0) })
        let quality = row.bitsPerByte.map { String(format: "%.4f bits/byte, ", $0) } ?? "no LM head, "
        bar.finish(summary: quality + String(format: "%.0f tokens/s", row.tokensPerSecond))
        Console.printJSON(row.json)
    }
}

/// Problems in setting up a benchmark run.
enum BenchSetupError: Error, CustomStringConvertible {
    case missingCorpus(setup: String)
    var description: String {
        switch self {
        case let .missingCorpus(setup): "the default benchmark corpus has not been made yet: run \(setup)"
        }
    }
}

/// Some models failed (their errors were printed); exit code 1 after the others' results.
struct BenchFailure: Error, CustomStringConvertible {
    let count: Int
    var description: String { "\(count) model(s) failed; see the messages above" }
}
