import ArgumentParser
import Foundation
import LMZoo

/// `lmzoo score MODEL (--text T | --file F | --ids 1,2,3 | --ids-file F)`: log-likelihood,
/// perplexity and bits per byte, with timings. A text is scored as ``TextScoring`` says (as `bench` does).
struct ScoreCommand: ParsableCommand, OptionChecking {
    static let configuration = CommandConfiguration(commandName: "score", abstract: "Score a text or an id sequence.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "The text to score.") var text: String?
    @Option(help: "A UTF-8 file to score (n-gram models: one sentence per line).") var file: String?
    @Option(help: "Token ids: 1,2,3.") var ids: String?
    @Option(name: .customLong("ids-file"), help: "A file of token ids.") var idsFile: String?
    @Flag(name: .customLong("per-token"), help: "Also list each token's log-probability.") var perToken = false
    @Flag(inversion: .prefixedNo, exclusivity: .exclusive, help: "Score from the model's BOS token (default for a text, where the model has one; --no-bos: the first token is context only).")
    var bos: Bool?
    @Option(help: "Score N times (for timing); results are from the last run.") var `repeat` = 1
    @OptionGroup var output: OutputOptions

    func checkOptions() throws {
        let given = [text != nil, file != nil, ids != nil, idsFile != nil].filter { $0 }.count
        guard given == 1 else { throw ValidationError("give exactly one of --text, --file, --ids, --ids-file") }
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }
    }

    func run() throws {
        let (model, loadSeconds) = try modelOptions.load()
        try modelOptions.requireLanguageModelHead(model, for: "score")
        let input = try readInput()
        let start = Date()
        var result = ScoreResult(perToken: [], utf8Bytes: nil)
        for _ in 0..<`repeat` {
            result = try LocatedError.at(file ?? idsFile ?? modelOptions.model) {
                switch input {
                case let .text(content): try TextScoring.score(model, text: content, bos: bos)
                case let .ids(list): try model.score(ids: list, bos: bos ?? false)
                }
            }
        }
        let compute = Date().timeIntervalSince(start) / Double(`repeat`)
        if output.json {
            var json = ResultJSON.score(result, perToken: perToken)
            json["timings"] = ["load_s": .double(loadSeconds), "compute_s": .double(compute),
                               "tokens_per_s": .double(compute > 0 ? Double(result.tokenCount) / compute : 0)]
            Console.printJSON(.object(json))
        } else {
            var rows = [["tokens", String(result.tokenCount)], ["logprob", String(format: "%.6f", result.logProb)],
                        ["log10prob", String(format: "%.6f", result.log10Prob)],
                        ["perplexity", result.perplexity.map { String(format: "%.4f", $0) } ?? "-"]]
            if result.utf8Bytes != nil { rows.append(["bits_per_byte", result.bitsPerByte.map { String(format: "%.4f", $0) } ?? "-"]) }
            if let oov = result.oovCount {
                rows += [["oov", String(oov)], ["oov_rate", result.oovRate.map { String(format: "%.4f", $0) } ?? "-"],
                         ["spelling_logprob", String(format: "%.6f", result.spellingLogProb)]]
            }
            rows.append(["tokens/s", String(format: "%.0f", compute > 0 ? Double(result.tokenCount) / compute : 0)])
            Console.printTable(rows)
            if perToken { print(result.perToken.map { String(format: "%.4f", $0) }.joined(separator: " ")) }
        }
    }

    private enum Input {
        case text(String)
        case ids([Int])
    }

    private func readInput() throws -> Input {
        if let text { return .text(text) }
        if let ids { return .ids(try IDList.parse(ids, source: "--ids")) }
        if let idsFile { return .ids(try IDList.read(file: idsFile)) }
        return .text(try TextFile.read(file!).text)
    }
}
