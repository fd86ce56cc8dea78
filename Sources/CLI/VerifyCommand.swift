import ArgumentParser
import LMZoo

/// `lmzoo verify MODEL`: checks the sha256 of every file of a catalog model (or of a model directory
/// with a `model.json` card) against its card. One line per file; exit 1 when any differs or is missing.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check every file of a model against the sha256 on its card.",
        discussion: "MODEL is a catalog name (lmzoo models) or a directory holding a model.json card.")

    @Argument(help: "A catalog model name or a model directory with model.json.")
    var model: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        let entry = try resolve()
        let checks = try entry.checkFiles()
        let allOK = checks.allSatisfy { $0.status == .ok }
        if output.json {
            Console.printJSON([
                "model": .string(entry.name), "ok": .bool(allOK),
                "files": .array(checks.map { check in
                    ["path": .string(check.file.path), "status": .string(check.status.rawValue),
                     "expected": .string(check.file.sha256), "actual": check.actual.map(JSONValue.string) ?? .null]
                }),
            ])
        } else {
            for check in checks {
                let detail = switch check.status {
                case .ok: check.file.sha256
                case .missing: "missing (card says \(check.file.sha256))"
                case .mismatch: "card says \(check.file.sha256), file has \(check.actual ?? "?")"
                }
                print("\(check.status.rawValue.uppercased().padding(toLength: 8, withPad: " ", startingAt: 0)) \(check.file.path): \(detail)")
            }
        }
        if !allOK {
            let bad = checks.filter { $0.status != .ok }
            Console.error("\(entry.folder): \(bad.count) of \(checks.count) files do not match the card (\(bad.map(\.file.path).joined(separator: ", ")))")
            throw ExitCode(1)
        }
    }

    /// A directory with a card, else a catalog name.
    private func resolve() throws -> CatalogEntry {
        if Paths.isDirectory(model) { return try CatalogEntry.card(inDirectory: model) }
        guard let catalog = try Catalog.standard() else { throw CatalogError.noCatalog }
        guard let entry = catalog.entry(named: model) else {
            throw UsageError("\(model): not a catalog model (known: \(catalog.entries.map(\.name).joined(separator: ", "))) nor a directory")
        }
        return entry
    }
}
