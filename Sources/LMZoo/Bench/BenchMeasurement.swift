import Foundation
import LMZooCore

/// Measures one model on one corpus, in this process: what `lmzoo bench` runs in a child process per
/// model, so that the peak RSS it reports belongs to that model alone.
///
/// The corpus is scored exactly as `lmzoo score --file` scores it (``TextScoring``: pieces of at least
/// 8 KiB cut at line breaks, from BOS where the model has one), so the two report the same bits per
/// byte; the pieces also give the progress. A model that cannot score (``ScoreKind/unavailable``) but
/// embeds is timed embedding the corpus's lines instead, and has no quality figures.
public enum BenchMeasurement {
    /// Loads `model` (a MODEL argument), scores `corpusPath`, and returns the row.
    /// `progress` receives the fraction of the corpus scored so far.
    public static func run(model: String, architecture: String? = nil, corpusPath: String,
                           progress: (Double) -> Void = { _ in }) throws -> BenchRow {
        let text = try readCorpus(corpusPath)
        let start = Date()
        let loaded = try ModelLoader.load(model, architecture: architecture)
        let loadSeconds = Date().timeIntervalSince(start)
        if loaded.scoreKind == .unavailable, let encoder = loaded as? any Embedding {
            return try embeddingRow(encoder, model: model, text: text, loadSeconds: loadSeconds, progress: progress)
        }
        let scoring = Date()
        let result = try LocatedError.at(corpusPath) { try TextScoring.score(loaded, text: text, progress: progress) }
        let computeSeconds = Date().timeIntervalSince(scoring)
        guard result.tokenCount > 0 else { throw LocatedError(path: model, BenchError.nothingScored) }
        return BenchRow(
            model: model, architecture: loaded.architecture, parameters: loaded.parameterCount,
            fileBytes: try fileBytes(of: model), loadSeconds: loadSeconds, tokens: result.tokenCount,
            bitsPerByte: result.bitsPerByte, perplexity: result.perplexity, oovRate: result.oovRate,
            tokensPerSecond: Double(result.tokenCount) / max(computeSeconds, 1e-9), peakRSSBytes: ProcessMemory.peakResidentBytes() ?? 0,
            scoring: loaded.scoreKind)
    }

    /// A model that cannot score but embeds (a sentence encoder): its row has no quality figures, and its
    /// speed is corpus tokens embedded per second, one line per sentence, 64 lines per call.
    static func embeddingRow(_ model: any Embedding, model name: String, text: String, loadSeconds: Double,
                             progress: (Double) -> Void) throws -> BenchRow {
        let lines = text.split(separator: "\n").map(String.init).filter { !$0.allSatisfy(\.isWhitespace) }
        var tokens = 0, done = 0
        let start = Date()
        progress(0)
        for batchStart in stride(from: 0, to: lines.count, by: 64) {
            let batch = Array(lines[batchStart..<min(batchStart + 64, lines.count)])
            _ = try model.embed(batch)
            tokens += try batch.reduce(0) { $0 + (try model.tokenizer.encode($1).count) }
            done += batch.count
            progress(Double(done) / Double(max(lines.count, 1)))
        }
        let seconds = Date().timeIntervalSince(start)
        guard tokens > 0 else { throw LocatedError(path: name, BenchError.nothingScored) }
        return BenchRow(model: name, architecture: model.architecture, parameters: model.parameterCount,
                        fileBytes: try fileBytes(of: name), loadSeconds: loadSeconds, tokens: tokens, bitsPerByte: nil,
                        perplexity: nil, oovRate: nil, tokensPerSecond: Double(tokens) / max(seconds, 1e-9),
                        peakRSSBytes: ProcessMemory.peakResidentBytes() ?? 0, scoring: .unavailable)
    }

    /// UTF-8 bytes of the corpus at `path` (checked as `run` checks it).
    public static func corpusBytes(_ path: String) throws -> Int {
        try readCorpus(path).utf8.count
    }

    /// The corpus as UTF-8 text; a clear error when it is absent, not UTF-8 or empty.
    static func readCorpus(_ path: String) throws -> String {
        let text = try TextFile.read(path).text
        guard !text.isEmpty else { throw LocatedError(path: path, BenchError.emptyCorpus) }
        return text
    }

    /// Bytes of a catalog model's files, of a file, or of every file in a directory.
    static func fileBytes(of model: String) throws -> Int {
        if let entry = try ModelResolver.resolve(model, verify: false).entry { return entry.fileBytes }
        guard Paths.isDirectory(model) else { return size(of: model) }
        let names = (try? FileManager.default.subpathsOfDirectory(atPath: model)) ?? []
        return names.reduce(0) { total, name in
            let path = Paths.join(model, name)
            return total + (Paths.isDirectory(path) ? 0 : size(of: path))
        }
    }

    private static func size(of path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}


/// The memory this process has used.
public enum ProcessMemory {
    /// Peak resident set size (`VmHWM` in /proc/self/status, or /proc/PID/status of a running
    /// `process`), in bytes; nil where unavailable.
    public static func peakResidentBytes(process: Int32? = nil) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.map(String.init) ?? "self")/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kilobytes = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
            return kilobytes.map { $0 * 1024 }
        }
        return nil
    }
}
