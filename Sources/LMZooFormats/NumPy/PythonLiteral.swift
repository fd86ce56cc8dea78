import LMZooCore

/// A Python literal as NumPy writes it in a `.npy` header (a `repr` of a dict of strings, bools
/// and tuples of ints), parsed by a small recursive-descent parser: nothing is ever evaluated.
///
/// Supported: `{...}` dicts, `(...)` tuples, `[...]` lists, `'...'`/`"..."` strings with simple
/// escapes, decimal integers (with Python 2's `L` suffix), `True`, `False`, `None`; trailing commas
/// and whitespace as Python allows them. Anything else (floats, expressions, calls) is an error.
enum PythonLiteral: Equatable {
    case string(String)
    /// An integer that fits in `Int`.
    case int(Int)
    /// An integer that does not fit in `Int` (kept as written, for messages).
    case bigInt(String)
    case bool(Bool)
    case none
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    /// Key/value pairs in source order (keys are unique).
    case dict([(key: PythonLiteral, value: PythonLiteral)])

    static func == (left: PythonLiteral, right: PythonLiteral) -> Bool {
        switch (left, right) {
        case let (.string(a), .string(b)): a == b
        case let (.int(a), .int(b)): a == b
        case let (.bigInt(a), .bigInt(b)): a == b
        case let (.bool(a), .bool(b)): a == b
        case (.none, .none): true
        case let (.tuple(a), .tuple(b)), let (.list(a), .list(b)): a == b
        case let (.dict(a), .dict(b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// Deepest nesting accepted (NumPy's own headers nest at most a few levels).
    static let maxDepth = ReaderLimits.npyHeaderNesting

    /// Parses `text` (the whole header: one literal, optionally surrounded by whitespace).
    /// Throws a description of the first problem.
    static func parse(_ text: String) throws(PythonLiteralError) -> PythonLiteral {
        var parser = Parser(Array(text.unicodeScalars))
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == parser.scalars.count else { throw parser.error("unexpected text after the literal") }
        return value
    }

    /// The Python `repr` style used in error messages (short, not exact).
    var summary: String {
        switch self {
        case let .string(s): "'\(s)'"
        case let .int(n): String(n)
        case let .bigInt(digits): digits
        case let .bool(b): b ? "True" : "False"
        case .none: "None"
        case let .tuple(items): items.count == 1 ? "(\(items[0].summary),)" : "(" + items.map(\.summary).joined(separator: ", ") + ")"
        case let .list(items): "[" + items.map(\.summary).joined(separator: ", ") + "]"
        case let .dict(pairs): "{" + pairs.map { "\($0.key.summary): \($0.value.summary)" }.joined(separator: ", ") + "}"
        }
    }
}

/// Where and why a Python literal could not be parsed.
struct PythonLiteralError: Error, Equatable {
    let message: String
    let offset: Int
}

private struct Parser {
    let scalars: [Unicode.Scalar]
    var position = 0

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    func error(_ message: String) -> PythonLiteralError { PythonLiteralError(message: message, offset: position) }

    var current: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    mutating func skipWhitespace() {
        while let c = current, c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}" { position += 1 }
    }

    mutating func value(depth: Int) throws(PythonLiteralError) -> PythonLiteral {
        guard depth < PythonLiteral.maxDepth else { throw error("nested more than \(PythonLiteral.maxDepth) levels") }
        skipWhitespace()
        guard let c = current else { throw error("unexpected end of header") }
        switch c {
        case "{": return try dict(depth: depth)
        case "(": return try sequence(close: ")", depth: depth)
        case "[": return try sequence(close: "]", depth: depth)
        case "'", "\"": return .string(try string())
        case "-", "+", "0"..."9": return try integer()
        default: return try keyword()
        }
    }

    mutating func dict(depth: Int) throws(PythonLiteralError) -> PythonLiteral {
        position += 1  // {
        var pairs: [(key: PythonLiteral, value: PythonLiteral)] = []
        while true {
            skipWhitespace()
            if current == "}" { position += 1; return .dict(pairs) }
            let keyStart = position
            let key = try value(depth: depth + 1)
            if pairs.contains(where: { $0.key == key }) {
                position = keyStart
                throw error("duplicate key \(key.summary)")
            }
            skipWhitespace()
            guard current == ":" else { throw error("expected ':' after a dict key") }
            position += 1
            pairs.append((key, try value(depth: depth + 1)))
            skipWhitespace()
            if current == "," { position += 1; continue }
            guard current == "}" else { throw error("expected ',' or '}' in a dict") }
        }
    }

    /// A tuple `(...)` or a list `[...]`. `(x)` without a comma is just `x`, as in Python.
    mutating func sequence(close: Unicode.Scalar, depth: Int) throws(PythonLiteralError) -> PythonLiteral {
        position += 1
        var items: [PythonLiteral] = []
        var sawComma = false
        while true {
            skipWhitespace()
            if current == close { position += 1; break }
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            if current == "," { position += 1; sawComma = true; continue }
            guard current == close else { throw error("expected ',' or '\(close)'") }
        }
        if close == "]" { return .list(items) }
        return items.count == 1 && !sawComma ? items[0] : .tuple(items)
    }

    mutating func string() throws(PythonLiteralError) -> String {
        let quote = current!
        position += 1
        var result = String.UnicodeScalarView()
        while true {
            guard let c = current else { throw error("unterminated string") }
            position += 1
            if c == quote { return String(result) }
            if c == "\n" { throw error("newline inside a string") }
            guard c == "\\" else { result.append(c); continue }
            guard let escaped = current else { throw error("unterminated string") }
            position += 1
            switch escaped {
            case "\\", "'", "\"": result.append(escaped)
            case "n": result.append("\n")
            case "t": result.append("\t")
            case "r": result.append("\r")
            case "0": result.append("\0")
            case "x":
                guard position + 2 <= scalars.count,
                      let code = UInt8(String(String.UnicodeScalarView(scalars[position..<position + 2])), radix: 16)
                else { throw error("bad \\x escape") }
                result.append(Unicode.Scalar(code))
                position += 2
            default:
                result.append("\\")  // Python keeps unknown escapes as written
                result.append(escaped)
            }
        }
    }

    mutating func integer() throws(PythonLiteralError) -> PythonLiteral {
        let start = position
        var negative = false
        if current == "-" || current == "+" {
            negative = current == "-"
            position += 1
            skipWhitespace()
        }
        let digitsStart = position
        while let c = current, ("0"..."9").contains(c) { position += 1 }
        guard position > digitsStart else { throw error("expected digits") }
        let digits = String(String.UnicodeScalarView(scalars[digitsStart..<position]))
        if current == "L" || current == "l" { position += 1 }  // Python 2 long suffix (NumPy's _filter_header drops it)
        if let c = current, c == "." || c == "e" || c == "E" || c == "j" || c == "x" || c == "_" {
            throw error("only decimal integers are allowed")
        }
        guard digits.count == 1 || digits.first != "0" || digits.allSatisfy({ $0 == "0" }) else {
            position = start
            throw error("leading zeros in an integer")
        }
        if let magnitude = Int(digits) { return .int(negative ? -magnitude : magnitude) }
        return .bigInt((negative ? "-" : "") + digits)
    }

    mutating func keyword() throws(PythonLiteralError) -> PythonLiteral {
        let start = position
        while let c = current, c.properties.isAlphabetic || c == "_" { position += 1 }
        switch String(String.UnicodeScalarView(scalars[start..<position])) {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return .none
        default:
            position = start
            throw error("unexpected character '\(scalars[start].escaped(asASCII: true))'")
        }
    }
}
