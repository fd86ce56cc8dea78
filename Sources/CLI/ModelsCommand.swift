import ArgumentParser
import LMZoo

/// `lmzoo models`: the zoo catalog in `models/`.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "List the catalog's models (models/*/model.json).",
        discussion: "A catalog name works wherever a MODEL is expected; its files' sha256 are checked when it loads.")

    @OptionGroup var output: OutputOptions

    func run() throws {
        guard let catalog = try Catalog.standard() else { throw CatalogError.noCatalog }
        if output.json {
            Console.printJSON(["models": .array(catalog.entries.map { entry in
                var json = JSONObject([
                    ("name", .string(entry.name)), ("architecture", .string(entry.architecture)), ("path", .string(entry.modelPath)),
                    ("parameters", entry.parameters.map(JSONValue.int) ?? .null), ("file_bytes", .int(entry.fileBytes)),
                    ("installed", .bool(entry.isInstalled)), ("tokenizer", .string(entry.tokenizer)), ("summary", .string(entry.summary)),
                ])
                json["card"] = .object(entry.card)
                return .object(json)
            })])
            return
        }
        Console.printTable([["name", "arch", "params", "size", "installed", "summary"]] + catalog.entries.map { entry in
            [entry.name, entry.architecture, entry.parameters.map(BenchReport.count) ?? "-", BenchReport.bytes(entry.fileBytes),
             entry.isInstalled ? "yes" : "no (\(entry.install ?? catalog.setupCommand))", entry.summary]
        })
    }
}
