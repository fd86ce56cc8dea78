import Foundation
import LMZoo
import LMZooTestSupport
import Testing

/// Issue 23 item 6: each error names the real culprit, in one line, with the right exit code
/// (1: bad input or model, 2: usage).
@Suite struct MisleadingErrorTests {
    func lmzoo(_ arguments: [String]) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }

    func expectOneLine(_ result: ProcessResult, status: Int32, _ fragments: [String], _ command: [String]) {
        #expect(result.status == status, "\(command): \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(command): \(result.stderr)")
        for fragment in fragments { #expect(result.stderr.contains(fragment), "\(command): \(result.stderr)") }
    }

    /// A misspelt option is reported as unknown, not as the missing option the command's own checks
    /// would complain about (ArgumentParser ran `validate()` before looking for unknown options).
    @Test func aMisspeltOptionIsUnknownInEveryCommand() throws {
        let commands: [[String]] = [
            ["score", "fortunes-gpt2", "--txt", "hi"],
            ["predict", "fortunes-ngram3", "--txt", "hi"],
            ["generate", "fortunes-ngram3", "--prompt", "a", "--top-p", "2", "--tmperature", "1"],
            ["embed", "fortunes-bert", "--txt", "hi"],
            ["fill-mask", "fortunes-bert", "--text", "a [MASK]", "--top-k", "0", "--topk", "1"],
            ["decode", "fortunes-hmm", "--idz", "1"],
            ["bench", "--csv", "--markdown", "--bogus"],
            ["serve", "--models", "fortunes-ngram3", "--port", "99999", "--prot", "1"],
            ["distill", "--teacher", "fortunes-gpt2", "--corpus", "c.txt", "--out", "o", "--studnt", "s"],
        ]
        for command in commands {
            let result = try lmzoo(command)
            let misspelt = command.last { $0.hasPrefix("--") }!
            expectOneLine(result, status: 2, ["Unknown option '\(misspelt)'"], command)
            #expect(result.stdout.isEmpty)
        }
        // The commands' own checks still run once the command line parsed.
        expectOneLine(try lmzoo(["score", "fortunes-ngram3"]), status: 2, ["give exactly one of --text"], ["score"])
    }

    /// `--help` and `help CMD` print the help on stdout and exit 0 (they printed ArgumentParser's
    /// internal `CommandError(... helpRequested ...)` on stderr and exited 1).
    @Test func helpIsPrintedNotAnError() throws {
        for command in [["--help"], ["score", "--help"], ["help", "score"], ["inspect", "-h"]] {
            let result = try lmzoo(command)
            #expect(result.status == 0 && result.stderr.isEmpty && result.stdout.contains("USAGE: lmzoo"), "\(command): \(result.stderr)")
        }
    }

    /// Every subcommand's help, as `SUB --help` and `help SUB`, goes to stdout with exit 0 (the list is
    /// read from the root's help, so a new subcommand is walked too); `--version` prints the version.
    @Test func everySubcommandHasHelpAndThereIsAVersion() throws {
        let root = try lmzoo(["--help"])
        let section = (root.stdout.components(separatedBy: "SUBCOMMANDS:").last ?? "").components(separatedBy: "\n\n").first ?? ""
        let names = section.split(separator: "\n").compactMap { line -> String? in
            let word = line.split(separator: " ").first.map(String.init)
            return line.hasPrefix("  ") && !line.hasPrefix("   ") && word?.first?.isLetter == true ? word : nil
        }.filter { $0 != "help" }
        #expect(names.count >= 15 && names.contains("convert") && names.contains("serve"), "\(names)")
        for name in names {
            for command in [[name, "--help"], ["help", name]] {
                let result = try lmzoo(command)
                #expect(result.status == 0 && result.stderr.isEmpty && result.stdout.contains("USAGE: lmzoo \(name)"), "\(command): \(result.stderr)")
            }
        }
        let version = try lmzoo(["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("lmzoo "), "\(version.stderr)")
    }

    /// An encoder without a language-model head is named, not the text it was given.
    @Test func anEncoderWithoutAHeadIsNamedNotTheText() throws {
        let scratch = try Fixtures.scratchDirectory("headless")
        defer { Fixtures.removeScratch(scratch) }
        let encoder = scratch + "/encoder"
        try FileManager.default.copyItem(atPath: Fixtures.path("bert/fillmask"), toPath: encoder)
        let store = try SafetensorsReader.read(path: encoder + "/model.safetensors")
        var headless = TensorStore(metadata: store.metadata)
        for (name, tensor) in store.entries where !name.hasPrefix("cls.") { try headless.add(name, tensor) }
        try FileManager.default.removeItem(atPath: encoder + "/model.safetensors")
        _ = try SafetensorsWriter.write(headless, to: encoder + "/model.safetensors")
        let text = Fixtures.path("ngram/tiny.txt")
        for (model, label) in [(encoder, encoder)] + (Paths.exists(ModelArgumentTests.folder("all-minilm-l6-v2") + "/model.safetensors")
                                                       ? [("all-minilm-l6-v2", "all-minilm-l6-v2")] : []) {
            let result = try lmzoo(["score", model, "--file", text])
            #expect(result.stderr == "lmzoo: \(label): no language-model head (sentence encoder): cannot score; use embed\n")
            #expect(result.status == 1 && !result.stderr.contains(text))
        }
    }

    @Test func fillMaskOnATextLongerThanTheContextSaysSo() throws {
        let text = String(repeating: "the cat sat on the mat. ", count: 400) + "[MASK]"
        let result = try lmzoo(["fill-mask", "fortunes-bert", "--text", text])
        expectOneLine(result, status: 1, ["the text is too long (", "tokens, context 64)"], ["fill-mask"])
        #expect(!result.stderr.contains("no [MASK]"))
    }

    @Test func convertingQ8ToSafetensorsSuggestsDequantising() throws {
        let scratch = try Fixtures.scratchDirectory("q8-safetensors")
        defer { Fixtures.removeScratch(scratch) }
        let q8 = Fixtures.path("gpt2/tiny-q8_0.gguf")
        let refused = try lmzoo(["convert", q8, scratch + "/x.safetensors"])
        expectOneLine(refused, status: 1, ["safetensors cannot hold Q8_0 tensors; use --dtype f32 (or f16/bf16) to dequantise"], ["convert"])
        let dequantised = try lmzoo(["convert", q8, scratch + "/x.safetensors", "--dtype", "f32"])
        #expect(dequantised.status == 0, "\(dequantised.stderr)")
    }

    @Test func serveOnABusyPortNamesTheAddress() throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(socket >= 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && listen(socket, 1) == 0
                && getsockname(socket, $0, &length) == 0 }
        }
        #expect(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let result = try runProcess(CLITests.executable, ["serve", "--host", "127.0.0.1", "--port", String(port), "--models", "fortunes-hmm"],
                                    timeoutSeconds: 120)
        #expect(result.stderr == "lmzoo: cannot listen on 127.0.0.1:\(port): address already in use\n")
        #expect(result.status == 1)
    }

    /// A file that cannot be read is named once (`/x.txt: cannot read`, not `/x.txt: /x.txt: cannot read`).
    @Test func aMissingFileIsNamedOnce() throws {
        let missing = "/nonexistent-lmzoo/x.txt"
        let commands: [[String]] = [
            ["score", "fortunes-hmm", "--file", missing],
            ["score", "fortunes-hmm", "--ids-file", missing],
            ["decode", "fortunes-hmm", "--ids-file", missing],
            ["embed", "fortunes-bert", "--file", missing],
            ["bench", "fortunes-hmm", "--corpus", missing],
            ["inspect", missing],
        ]
        for command in commands {
            let result = try lmzoo(command)
            expectOneLine(result, status: 1, [missing], command)
            #expect(result.stderr.components(separatedBy: missing).count == 2, "\(command): \(result.stderr)")
        }
        let unknown = Fixtures.path("safetensors/python_mixed.safetensors")
        let result = try lmzoo(["score", unknown, "--text", "a"])
        expectOneLine(result, status: 1, ["cannot tell the architecture"], ["score"])
        #expect(result.stderr.components(separatedBy: unknown).count == 2, "\(result.stderr)")
    }

    /// Option values no run can use, unknown architecture and format names: usage mistakes (2).
    @Test func usageMistakesExitTwo() throws {
        let scratch = try Fixtures.scratchDirectory("usage-mistakes")
        defer { Fixtures.removeScratch(scratch) }
        let corpus = Fixtures.path("ngram/tiny.txt"), input = Fixtures.path("safetensors/python_mixed.safetensors")
        let cases: [([String], [String])] = [
            (["train", "ngram", "--corpus", corpus, "--out", scratch + "/o.arpa", "--order", "0"], ["--order 0: must be 1 to"]),
            (["train", "hmm", "--corpus", corpus, "--out", scratch + "/h", "--states", "0"], ["--states 0: must be 1 to 4096"]),
            (["score", "fortunes-hmm", "--text", "a", "--arch", "bogus"], ["unknown architecture 'bogus'"]),
            (["convert", input, scratch + "/x.bin", "--to", "bogus"], ["unknown format 'bogus'"]),
            (["convert", input, scratch + "/x.unknownext"], ["cannot tell the output format", "--to"]),
            (["convert", input, scratch, "--to", "npz"], [scratch + ": is a directory"]),
        ]
        for (command, fragments) in cases {
            let result = try lmzoo(command)
            expectOneLine(result, status: 2, fragments, command)
            #expect(!result.stderr.contains(corpus), "the corpus is not the culprit: \(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
    }
}
