import Foundation
import LMZooCore
import LMZooTestSupport
import Testing

/// Issue 23, items 2 and 3: bits per byte pays for every byte (OOV spellings) and has one definition
/// that `score` and `bench` share.
@Suite struct BitsPerByteCLITests {
    func lmzoo(_ arguments: String...) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }

    func json(_ result: ProcessResult) throws -> JSONValue {
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONParser.parse(result.stdout)
    }

    /// The first `bytes` or more of the n-gram fixture text, cut after a line break: over 8 KiB, so it is
    /// scored in two pieces.
    static func text(bytes: Int) throws -> String {
        let lines = try String(contentsOfFile: Fixtures.path("ngram/tiny.txt"), encoding: .utf8).split(separator: "\n")
        var text = ""
        for line in lines where text.utf8.count < bytes { text += line + "\n" }
        return text
    }

    @Test func scoreAndBenchGiveTheSameBitsPerByte() throws {
        let scratch = try Fixtures.scratchDirectory("bpb-agree")
        defer { Fixtures.removeScratch(scratch) }
        let corpus = scratch + "/text.txt"
        try Self.text(bytes: 9000).write(toFile: corpus, atomically: true, encoding: .utf8)
        let scored = try json(lmzoo("score", "fortunes-gpt2", "--file", corpus, "--json"))
        let bench = try json(lmzoo("bench", "fortunes-gpt2", "--corpus", corpus, "--json"))
        let row = try #require(bench["rows"]?.arrayValue?.first)
        #expect(row["tokens"]?.intValue == scored["tokens"]?.intValue)
        let bpb = try #require(scored["bits_per_byte"]?.doubleValue)
        #expect(abs((row["bits_per_byte"]?.doubleValue ?? 0) - bpb) < 1e-9 * bpb)
        #expect(row["oov_rate"] == .null, "byte-level BPE has no OOV")
        // Scoring starts at BOS by default: every token of the text is scored.
        let text = "A fool and his money are soon parted."
        let ids = try json(lmzoo("tokenize", "fortunes-gpt2", "--text", text, "--json"))["ids"]?.arrayValue?.count
        let short = try json(lmzoo("score", "fortunes-gpt2", "--text", text, "--json"))
        #expect(short["tokens"]?.intValue == ids)
        #expect(try json(lmzoo("score", "fortunes-gpt2", "--text", text, "--bos", "--json")) ["logprob"] == short["logprob"])
        let noBOS = try json(lmzoo("score", "fortunes-gpt2", "--text", text, "--no-bos", "--json"))
        #expect(noBOS["tokens"]?.intValue == (ids ?? 0) - 1)
        #expect(try lmzoo("score", "fortunes-gpt2", "--text", text, "--bos", "--no-bos").status == 2)
    }

    @Test func nothingScoredIsNoBitsPerByteRatherThanZero() throws {
        // fortunes-lstm has no BOS token: the one character is context only.
        let scored = try json(lmzoo("score", "fortunes-lstm", "--text", "a", "--json"))
        #expect(scored["tokens"]?.intValue == 0)
        #expect(scored["bits_per_byte"] == .null && scored["perplexity"] == .null)
        let table = try lmzoo("score", "fortunes-lstm", "--text", "a")
        #expect(table.stdout.contains("bits_per_byte     -") && !table.stdout.contains("bits_per_byte     0"))
        let gpt = try json(lmzoo("score", "fortunes-gpt2", "--text", "a", "--no-bos", "--json"))
        #expect(gpt["tokens"]?.intValue == 0 && gpt["bits_per_byte"] == .null)
    }

    @Test func unknownWordsPayForTheirSpelling() throws {
        let scored = try json(lmzoo("score", "fortunes-ngram3", "--text", "Zxqvbnm Qwertyuiop", "--json"))
        #expect(scored["oov"]?.intValue == 2 && scored["tokens"]?.intValue == 3)
        #expect(abs((scored["oov_rate"]?.doubleValue ?? 0) - 2.0 / 3) < 1e-12)
        #expect((scored["spelling_logprob"]?.doubleValue ?? 0) < -50)
        #expect((scored["bits_per_byte"]?.doubleValue ?? 0) > 6)
        // logprob stays KenLM's: the two <unk> and </s>, no spelling in it.
        let logprob = try #require(scored["logprob"]?.doubleValue), log10 = try #require(scored["log10prob"]?.doubleValue)
        #expect(abs(logprob - log10 * log(10)) < 1e-9 && logprob > -40)
        // A known word is no OOV.
        let known = try json(lmzoo("score", "fortunes-ngram3", "--text", "the", "--json"))
        #expect(known["oov"]?.intValue == 0 && known["spelling_logprob"]?.doubleValue == 0)
    }

    @Test func anNGramTrainedOnNothingDoesNotTopTheBench() throws {
        let scratch = try Fixtures.scratchDirectory("bpb-empty-ngram")
        defer { Fixtures.removeScratch(scratch) }
        let empty = scratch + "/empty.txt", model = scratch + "/empty.arpa", corpus = scratch + "/heldout.txt"
        try "".write(toFile: empty, atomically: true, encoding: .utf8)
        try Self.text(bytes: 3000).write(toFile: corpus, atomically: true, encoding: .utf8)
        // `train ngram` refuses an empty corpus now; what it used to write is a model of only the markers:
        let refused = try lmzoo("train", "ngram", "--corpus", empty, "--out", model, "--order", "3", "--discount-fallback")
        #expect(refused.status == 1 && refused.stderr.contains("empty"), "\(refused.stderr)")
        try "\\data\\\nngram 1=3\n\n\\1-grams:\n-0.4771213\t<unk>\n-99\t<s>\n-0.4771213\t</s>\n\n\\end\\\n"
            .write(toFile: model, atomically: true, encoding: .utf8)

        let bench = try json(lmzoo("bench", model, "fortunes-ngram3", "fortunes-hmm", "--corpus", corpus, "--json"))
        let rows = try #require(bench["rows"]?.arrayValue)
        #expect(rows.count == 3)
        let bpb = rows.map { $0["bits_per_byte"]?.doubleValue ?? 0 }
        #expect(bpb[0] >= 8, "every unknown word is spelled byte by byte, at about 8 bits a byte")
        #expect(bpb[0] > bpb[1] && bpb[0] > bpb[2])
        #expect(rows[0]["oov_rate"]?.doubleValue ?? 0 > 0.8)
        #expect((rows[1]["oov_rate"]?.doubleValue).map { $0 >= 0 && $0 < 0.5 } == true)

        // The OOV column: a percentage for the n-grams and the HMM (<unk>), '-' for GPT-2.
        let table = try lmzoo("bench", model, "fortunes-gpt2", "--corpus", corpus)
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("model ") && $0.contains("  OOV  ") })
        #expect(lines.contains { $0.hasPrefix(model) && $0.contains("%") })
        let gptLine = try #require(lines.first { $0.hasPrefix("fortunes-gpt2") })
        #expect(gptLine.split(separator: " ").contains("-"))
        let csv = try lmzoo("bench", model, "--corpus", corpus, "--csv")
        #expect(csv.stdout.split(separator: "\n").first?.contains(",perplexity,oov_rate,tokens_per_s,") == true)
        let markdown = try lmzoo("bench", model, "--corpus", corpus, "--markdown")
        #expect(markdown.stdout.hasPrefix("| model | arch | params | size | load s | tokens | bits/byte | perplexity | OOV |"))
    }
}
