import Foundation
import LMZoo
import LMZooTestSupport
import Testing

/// The repository's own catalog (`models/`): every card parses, the five architectures are bundled, the
/// files have their recorded sizes, and each bundled model loads (sha256 verified) and scores the
/// held-out corpus to the bits per byte its card records. That last part needs the fortunes corpus
/// (`scripts/setup.sh`) and runs the release build (hashing and scoring ~20 MB of models in a debug
/// build takes minutes); CI has both, so CI never skips it.
@Suite struct ZooCatalogTests {
    static let modelsFolder = Paths.directory(of: Fixtures.root) + "/../models"

    static func catalog() throws -> Catalog { try Catalog(directory: URL(fileURLWithPath: modelsFolder).standardized.path) }

    @Test func everyCardParsesAndBundledFilesMatchTheirDigests() throws {
        let catalog = try Self.catalog()
        let bundled = catalog.entries.filter { $0.install == nil }
        #expect(Set(bundled.map(\.architecture)).isSuperset(of: ["ngram", "hmm", "lstm", "gpt2", "bert"]),
                "bundled architectures: \(bundled.map(\.architecture))")
        #expect(bundled.contains { $0.architecture == "ngram" && $0.card["training"]?["command"]?.stringValue?.contains("--order 3") == true })
        #expect(bundled.contains { $0.architecture == "ngram" && $0.card["training"]?["command"]?.stringValue?.contains("--order 4") == true })
        for entry in bundled {
            for file in entry.files {
                let path = entry.folder + "/" + file.path
                let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
                #expect(size == file.bytes, "\(path)")
            }
            #expect(entry.card["training"]?["command"]?.stringValue?.hasPrefix("lmzoo train ") == true, "\(entry.name)")
            #expect(entry.card["heldout"]?["bits_per_byte"]?.doubleValue != nil, "\(entry.name)")
        }
        #expect(bundled.reduce(0) { $0 + $1.fileBytes } < 30_000_000, "bundled weights stay under ~30 MB")
        let pretrained = try #require(catalog.entry(named: "all-minilm-l6-v2"))
        #expect(pretrained.architecture == "bert" && pretrained.install?.contains("install_pretrained.sh") == true)
    }

    @Test func bundledModelsReproduceTheirHeldOutBitsPerByte() throws {
        let catalog = try Self.catalog()
        let release = Paths.directory(of: catalog.directory) + "/.build/release/lmzoo"
        guard let corpus = catalog.defaultCorpus, Paths.exists(corpus), Paths.exists(release) else {
            #expect(!Fixtures.isCI, "CI must make the corpus and the release build (scripts/setup.sh)")
            print("skipped: needs \(catalog.defaultCorpus ?? "the corpus") (scripts/make_corpus.sh) and \(release)")
            return
        }
        let digest = try SHA256.hexDigest(ofFile: corpus)
        for entry in catalog.entries where entry.install == nil {
            #expect(entry.card["heldout"]?["corpus_sha256"]?.stringValue == digest, "\(entry.name): corpus differs from the card's")
            let result = try runProcess(release, ["bench-model", entry.name, "--corpus", corpus],
                                        environment: ["LMZOO_MODELS": catalog.directory])
            #expect(result.status == 0, "\(entry.name): \(result.stderr)")
            let row = try JSONParser.parse(result.stdout)
            let measured = try #require(row["bits_per_byte"]?.doubleValue)
            let recorded = try #require(entry.card["heldout"]?["bits_per_byte"]?.doubleValue)
            #expect(abs(measured - recorded) <= 1e-4 * recorded, "\(entry.name): \(measured) vs card \(recorded)")
        }
    }
}
