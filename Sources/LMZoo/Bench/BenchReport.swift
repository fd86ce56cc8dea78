import Foundation
import LMZooCore

/// `lmzoo bench` results rendered for people (aligned table, Markdown) and programs (JSON, CSV).
public struct BenchReport: Sendable {
    /// The corpus the rows were measured on.
    public let corpus: String
    /// UTF-8 bytes of the corpus.
    public let corpusBytes: Int
    /// One row per model, in the order they ran.
    public let rows: [BenchRow]

    public init(corpus: String, corpusBytes: Int, rows: [BenchRow]) {
        self.corpus = corpus
        self.corpusBytes = corpusBytes
        self.rows = rows
    }

    /// `{"corpus","corpus_bytes","rows":[...]}` (CLI.md).
    public var json: JSONValue {
        .object(JSONObject([("corpus", .string(corpus)), ("corpus_bytes", .int(corpusBytes)), ("rows", .array(rows.map(\.json)))]))
    }

    static let headers = ["model", "arch", "params", "size", "load s", "tokens", "bits/byte", "perplexity", "OOV", "tokens/s", "peak RSS"]

    /// The human-readable cells of each row (header first). Pseudo-log-likelihood figures carry a `*`;
    /// the OOV rate is a percentage, `-` for models that cannot have OOV.
    public var cells: [[String]] {
        [Self.headers] + rows.map { row in
            let mark = row.scoring == .pseudoLogLikelihood ? "*" : ""
            let quality = { (value: Double?, format: String) in value.map { String(format: format, $0) + mark } ?? "-" }
            return [row.model, row.architecture, Self.count(row.parameters), Self.bytes(row.fileBytes),
                    String(format: "%.3f", row.loadSeconds), String(row.tokens), quality(row.bitsPerByte, "%.4f"),
                    quality(row.perplexity, "%.2f"), Self.percent(row.oovRate), Self.count(Int(row.tokensPerSecond.rounded())),
                    Self.bytes(row.peakRSSBytes)]
        }
    }

    /// Footnotes for the `*` figures, the OOV column and `-` rows, when any row has them (one per line).
    public var footnote: String? { footnotes.isEmpty ? nil : footnotes.joined(separator: "\n") }

    /// The footnotes, one per entry.
    var footnotes: [String] {
        var notes: [String] = []
        if rows.contains(where: { $0.scoring == .pseudoLogLikelihood }) {
            notes.append("* pseudo-log-likelihood (each token masked in turn): compare only among masked-LM models")
        }
        if rows.contains(where: { $0.oovRate != nil }) {
            notes.append("OOV: share of scored tokens the vocabulary lacks (its unknown token); bits/byte also pays for their spelling (not under *); '-': the model cannot have OOV")
        }
        if rows.contains(where: { $0.scoring == .unavailable }) {
            notes.append("- no language-model head (sentence encoder): tokens/s is embedding speed")
        }
        return notes
    }

    /// An aligned plain-text table (numbers right-aligned).
    public var table: String {
        let cells = self.cells
        let widths = (0..<Self.headers.count).map { column in cells.map { $0[column].count }.max() ?? 0 }
        var lines = cells.map { row in
            row.enumerated().map { column, cell in
                column <= 1 ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        lines.insert(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1)), at: 1)
        if let footnote { lines.append(footnote) }
        return lines.joined(separator: "\n")
    }

    /// A GitHub-flavoured Markdown table.
    public var markdown: String {
        let cells = self.cells
        var lines = ["| " + cells[0].joined(separator: " | ") + " |",
                     "|" + cells[0].indices.map { $0 <= 1 ? "---|" : "---:|" }.joined()]
        lines += cells.dropFirst().map { "| " + $0.joined(separator: " | ") + " |" }
        for note in footnotes { lines += ["", note] }  // separate paragraphs
        return lines.joined(separator: "\n")
    }

    /// CSV with CLI.md's field names and raw numbers (RFC 4180 quoting).
    public var csv: String {
        let fields = ["model", "architecture", "parameters", "file_bytes", "load_s", "tokens", "bits_per_byte", "perplexity",
                      "oov_rate", "tokens_per_s", "peak_rss_bytes", "scoring"]
        let lines = rows.map { row in
            [row.model, row.architecture, String(row.parameters), String(row.fileBytes), String(row.loadSeconds), String(row.tokens),
             row.bitsPerByte.map { String($0) } ?? "", row.perplexity.map { String($0) } ?? "",
             row.oovRate.map { String($0) } ?? "", String(row.tokensPerSecond), String(row.peakRSSBytes),
             row.scoring.rawValue].map(Self.csvField).joined(separator: ",")
        }
        return ([fields.joined(separator: ",")] + lines).joined(separator: "\n")
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// 0.0987 -> "9.9%"; a rate above 0 that would print as 0.0% -> "<0.1%"; nil -> "-".
    static func percent(_ rate: Double?) -> String {
        guard let rate else { return "-" }
        return rate > 0 && rate < 0.0005 ? "<0.1%" : String(format: "%.1f%%", rate * 100)
    }

    /// 1234567 -> "1.23M".
    public static func count(_ value: Int) -> String {
        switch value {
        case ..<10_000: String(value)
        case ..<1_000_000: String(format: "%.1fk", Double(value) / 1e3)
        case ..<1_000_000_000: String(format: "%.2fM", Double(value) / 1e6)
        default: String(format: "%.2fG", Double(value) / 1e9)
        }
    }

    /// 1234567 -> "1.2 MB" (decimal units).
    public static func bytes(_ value: Int) -> String {
        switch value {
        case ..<1_000: "\(value) B"
        case ..<1_000_000: String(format: "%.1f kB", Double(value) / 1e3)
        case ..<1_000_000_000: String(format: "%.1f MB", Double(value) / 1e6)
        default: String(format: "%.2f GB", Double(value) / 1e9)
        }
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
