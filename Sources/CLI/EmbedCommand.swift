import ArgumentParser
import Foundation
import LMZoo

/// `lmzoo embed MODEL --text T [--text T2 ...] [--file F]`: sentence embeddings (the model's pooling,
/// e.g. mean over the attention mask, L2-normalised), with throughput.
struct EmbedCommand: ParsableCommand, OptionChecking {
    static let configuration = CommandConfiguration(commandName: "embed", abstract: "Embed sentences with an encoder model.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "A sentence to embed (repeatable).") var text: [String] = []
    @Option(help: "A UTF-8 file of sentences, one per line (empty lines skipped).") var file: String?
    @Option(help: "Embed N times (for timing); results are from the last run.") var `repeat` = 1
    @OptionGroup var output: OutputOptions

    func checkOptions() throws {
        guard !text.isEmpty || file != nil else { throw ValidationError("give --text (one or more) or --file") }
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }
    }

    func run() throws {
        var sentences = text
        if let file {
            let nothing = "nothing to embed"
            let lines = try TextFile.read(file).text.split(whereSeparator: \.isNewline)
            let found = lines.map(String.init).filter { !$0.allSatisfy(\.isWhitespace) }
            guard !found.isEmpty else { throw LocatedError(path: file, TextFileError.empty(nothing)) }
            sentences += found
        }
        let (loaded, loadSeconds) = try modelOptions.load()
        guard let model = loaded as? any Embedding else {
            throw LocatedError(path: modelOptions.model, CapabilityError.missing(loaded.architecture, "embed sentences"))
        }
        let start = Date()
        var embeddings: [[Float]] = []
        for _ in 0..<`repeat` { embeddings = try model.embed(sentences) }
        let compute = Date().timeIntervalSince(start) / Double(`repeat`)
        let perSecond = compute > 0 ? Double(sentences.count) / compute : 0
        if output.json {
            Console.printJSON([
                "embeddings": ResultJSON.embeddings(embeddings),
                "dimension": .int(embeddings.first?.count ?? 0),
                "timings": ["load_s": .double(loadSeconds), "compute_s": .double(compute), "sentences_per_s": .double(perSecond)],
            ])
        } else {
            Console.printTable([["#", "dims", "first values"]] + embeddings.enumerated().map { i, vector in
                [String(i), String(vector.count), vector.prefix(4).map { String(format: "%.4f", $0) }.joined(separator: " ") + " ..."]
            })
            print(String(format: "%.1f sentences/s", perSecond))
        }
    }
}
