import Foundation
import LMZooCore
import LMZooTestSupport
import Testing

/// `lmzoo models` and `lmzoo bench` over a small catalog made in a scratch folder (LMZOO_MODELS), so
/// the tests need neither the fortunes corpus nor the bundled weights.
@Suite struct BenchCLITests {
    /// A scratch catalog: an n-gram model and an HMM with correct cards, one card whose files are absent.
    struct ScratchCatalog {
        let folder: String
        var environment: [String: String] { ["LMZOO_MODELS": folder] }
        var corpus: String { folder + "/corpus/heldout.txt" }

        init(_ name: String) throws {
            folder = try Fixtures.scratchDirectory(name) + "/models"
            let manager = FileManager.default
            try manager.createDirectory(atPath: folder + "/corpus", withIntermediateDirectories: true)
            try #"{"default_corpus": "corpus/heldout.txt", "setup_command": "scripts/setup.sh"}"#
                .write(toFile: folder + "/catalog.json", atomically: true, encoding: .utf8)
            let text = try String(contentsOfFile: Fixtures.path("ngram/tiny.txt"), encoding: .utf8)
            try text.split(separator: "\n").prefix(60).joined(separator: "\n").appending("\n")
                .write(toFile: corpus, atomically: true, encoding: .utf8)
            try add("tiny-ngram", architecture: "ngram", file: "model.arpa", copying: Fixtures.path("ngram/small.arpa"))
            let hmm = Paths.directory(of: folder) + "/hmm"
            let trained = try runProcess(CLITests.executable, ["train", "hmm", "--states", "4", "--iterations", "2", "--seed", "1",
                                                               "--corpus", corpus, "--out", hmm])
            guard trained.status == 0 else { throw FileError.system(path: hmm, action: "train (\(trained.stderr))", errno: 0) }
            try add("tiny-hmm", architecture: "hmm", file: ".", copying: hmm)
            try manager.createDirectory(atPath: folder + "/absent", withIntermediateDirectories: true)
            try card(name: "absent", architecture: "bert", path: ".", files: [("model.safetensors", String(repeating: "0", count: 64), 1)],
                     extra: #""install": "scripts/install_pretrained.sh""#)
        }

        /// Copies `source` (a file, or with `file` "." a directory's files) into a model folder with its card.
        private func add(_ name: String, architecture: String, file: String, copying source: String) throws {
            let manager = FileManager.default
            let modelFolder = folder + "/" + name
            try manager.createDirectory(atPath: modelFolder, withIntermediateDirectories: true)
            let copies = file == "." ? try manager.contentsOfDirectory(atPath: source).sorted().map { ($0, source + "/" + $0) } : [(file, source)]
            let files = try copies.map { target, from -> (String, String, Int) in
                try manager.copyItem(atPath: from, toPath: modelFolder + "/" + target)
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: from)))
                return (target, SHA256.hexDigest(of: bytes), bytes.count)
            }
            try card(name: name, architecture: architecture, path: file, files: files)
        }

        private func card(name: String, architecture: String, path: String, files: [(String, String, Int)], extra: String? = nil) throws {
            let list = files.map { #"{"path": "\#($0.0)", "sha256": "\#($0.1)", "bytes": \#($0.2)}"# }.joined(separator: ", ")
            let json = #"{"name": "\#(name)", "architecture": "\#(architecture)", "path": "\#(path)", "summary": "test model", "files": [\#(list)]\#(extra.map { ", " + $0 } ?? "")}"#
            try json.write(toFile: folder + "/" + name + "/model.json", atomically: true, encoding: .utf8)
        }
    }

    func lmzoo(_ catalog: ScratchCatalog, _ arguments: String...) throws -> ProcessResult {
        try runProcess(CLITests.executable, arguments, environment: catalog.environment)
    }

    @Test func modelsListsTheCatalogAndWhatIsInstalled() throws {
        let catalog = try ScratchCatalog("models-list")
        defer { Fixtures.removeScratch(Paths.directory(of: catalog.folder)) }
        let result = try lmzoo(catalog, "models", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let models = try #require(try JSONParser.parse(result.stdout)["models"]?.arrayValue)
        #expect(models.compactMap { $0["name"]?.stringValue } == ["absent", "tiny-hmm", "tiny-ngram"])
        #expect(models.compactMap { $0["installed"]?.boolValue } == [false, true, true])
        let ngram = try #require(models.last)
        #expect(ngram["architecture"]?.stringValue == "ngram" && ngram["path"]?.stringValue == catalog.folder + "/tiny-ngram/model.arpa")
        #expect(ngram["parameters"] != nil)
    }

    @Test func catalogNamesLoadAndTheirDigestsAreChecked() throws {
        let catalog = try ScratchCatalog("models-digest")
        defer { Fixtures.removeScratch(Paths.directory(of: catalog.folder)) }
        let scored = try lmzoo(catalog, "score", "tiny-ngram", "--text", "the cat", "--json")
        #expect(scored.status == 0, "\(scored.stderr)")

        let absent = try lmzoo(catalog, "score", "absent", "--text", "x")
        #expect(absent.status == 1)
        #expect(absent.stderr.contains("catalog model absent is not installed") && absent.stderr.contains("install_pretrained.sh"))

        let model = catalog.folder + "/tiny-ngram/model.arpa"
        let original = try Data(contentsOf: URL(fileURLWithPath: model))
        try (original + Data("\n".utf8)).write(to: URL(fileURLWithPath: model))
        let tampered = try lmzoo(catalog, "score", "tiny-ngram", "--text", "the cat")
        #expect(tampered.status == 1)
        #expect(tampered.stderr.contains("tiny-ngram/model.arpa") && tampered.stderr.contains("sha256 mismatch"))
        #expect(tampered.stderr.split(separator: "\n").count == 1)
    }

    @Test func benchRunsEveryInstalledModelAndDrawsThePlot() throws {
        let catalog = try ScratchCatalog("bench")
        defer { Fixtures.removeScratch(Paths.directory(of: catalog.folder)) }
        let plot = Paths.directory(of: catalog.folder) + "/bench.svg"
        let result = try lmzoo(catalog, "bench", "--json", "--plot", plot)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("skipping absent: not installed"))
        let json = try JSONParser.parse(result.stdout)
        #expect(json["corpus"]?.stringValue == catalog.corpus)
        let rows = try #require(json["rows"]?.arrayValue)
        #expect(rows.compactMap { $0["model"]?.stringValue } == ["tiny-hmm", "tiny-ngram"])
        let fields = ["model", "architecture", "parameters", "file_bytes", "load_s", "tokens", "bits_per_byte", "perplexity",
                      "tokens_per_s", "peak_rss_bytes"]
        for row in rows {
            for field in fields { #expect(row[field] != nil, "\(field) missing") }
            #expect((row["peak_rss_bytes"]?.intValue ?? 0) > 1 << 20)
            #expect((row["bits_per_byte"]?.doubleValue ?? 0) > 0)
        }

        // The n-gram row's quality is what `score --file` says of the same corpus (lines scored as sentences).
        let scored = try JSONParser.parse(try lmzoo(catalog, "score", "tiny-ngram", "--file", catalog.corpus, "--json").stdout)
        let ngram = try #require(rows.last)
        #expect(ngram["tokens"]?.intValue == scored["tokens"]?.intValue)
        let expected = try #require(scored["bits_per_byte"]?.doubleValue)
        #expect(abs((ngram["bits_per_byte"]?.doubleValue ?? 0) - expected) < 1e-9 * expected)

        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") && svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.components(separatedBy: "<g class=\"model\">").count == 3)
        #expect(svg.contains(">tiny-hmm</text>") && svg.contains(">tiny-ngram</text>"))
        #expect(try XMLWellFormedness.check(svg))
    }

    @Test func benchTableCSVAndMarkdown() throws {
        let catalog = try ScratchCatalog("bench-formats")
        defer { Fixtures.removeScratch(Paths.directory(of: catalog.folder)) }
        let table = try lmzoo(catalog, "bench", "tiny-ngram")
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("bits/byte") && table.stdout.contains("tiny-ngram"))
        let csv = try lmzoo(catalog, "bench", "tiny-ngram", "--csv")
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("model,architecture,parameters,file_bytes"))
        let markdown = try lmzoo(catalog, "bench", "tiny-ngram", "--markdown")
        #expect(markdown.stdout.hasPrefix("| model | arch |") && markdown.stdout.contains("|---|"))
        let both = try lmzoo(catalog, "bench", "--csv", "--json")
        #expect(both.status == 2)
    }

    @Test func benchWithoutCorpusOrWithABadModelSaysSo() throws {
        let catalog = try ScratchCatalog("bench-errors")
        defer { Fixtures.removeScratch(Paths.directory(of: catalog.folder)) }
        try FileManager.default.removeItem(atPath: catalog.corpus)
        let noCorpus = try lmzoo(catalog, "bench")
        #expect(noCorpus.status == 1 && noCorpus.stderr.contains("heldout.txt") && noCorpus.stderr.contains("scripts/setup.sh"))

        let corpus = Fixtures.path("ngram/tiny.txt")
        let missing = try lmzoo(catalog, "bench", "tiny-ngram", "/nonexistent/model.arpa", "--corpus", corpus, "--json")
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/model.arpa"))
        let rows = try JSONParser.parse(missing.stdout)["rows"]?.arrayValue
        #expect(rows?.count == 1, "the model that works is still reported")
    }
}

/// A minimal well-formedness check for the SVG (balanced tags, quoted attributes, known entities),
/// enough to catch a broken writer without an XML library.
enum XMLWellFormedness {
    static func check(_ text: String) throws -> Bool {
        var stack: [Substring] = []
        var rest = Substring(text)
        if rest.hasPrefix("<?xml"), let end = rest.range(of: "?>") { rest = rest[end.upperBound...] }
        while let open = rest.firstIndex(of: "<") {
            let between = rest[..<open]
            if between.contains(">") { return false }
            for entity in between.split(separator: "&").dropFirst() where !["amp;", "lt;", "gt;", "quot;", "apos;"].contains(where: entity.hasPrefix) {
                return false
            }
            guard let close = rest[open...].firstIndex(of: ">") else { return false }
            let tag = rest[rest.index(after: open)..<close]
            if tag.hasPrefix("/") {
                guard stack.popLast() == tag.dropFirst() else { return false }
            } else if !tag.hasSuffix("/") {
                stack.append(tag.prefix { !$0.isWhitespace })
            }
            if tag.filter({ $0 == "\"" }).count % 2 != 0 { return false }
            rest = rest[rest.index(after: close)...]
        }
        return stack.isEmpty
    }
}
