import Foundation
import LMZoo

/// Where the CLI writes: results on stdout, diagnostics on stderr.
enum Console {
    /// A one-line diagnostic on stderr, prefixed `lmzoo: `.
    static func error(_ message: String) {
        let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        FileHandle.standardError.write(Data("lmzoo: \(oneLine)\n".utf8))
    }

    /// A warning on stderr (never on stdout, which may carry JSON).
    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("lmzoo: warning: \(message)\n".utf8))
    }

    /// An informational note on stderr (what a conversion dropped or added).
    static func note(_ message: String) {
        FileHandle.standardError.write(Data("lmzoo: note: \(message)\n".utf8))
    }

    /// One JSON document on stdout.
    static func printJSON(_ value: JSONValue) {
        print(value.prettyText)
    }

    /// Rows as a left-aligned text table (first row = header).
    static func printTable(_ rows: [[String]]) {
        guard let columns = rows.map(\.count).max() else { return }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        for row in rows {
            let cells = row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }
            print(cells.joined(separator: "  "))
        }
    }
}
