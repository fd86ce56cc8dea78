/// A strict RFC 8259 JSON parser for untrusted input (checkpoint headers, configs).
///
/// Beyond the grammar it refuses duplicate object keys, nesting deeper than ``maxDepth`` and
/// invalid UTF-8. It never traps: every read is bounds-checked.
public struct JSONParser {
    /// Deepest nesting of arrays/objects accepted.
    public static let maxDepth = ReaderLimits.jsonNesting

    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var depth = 0

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Parses one JSON document (surrounding whitespace allowed, nothing else after it).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw .trailingCharacters(offset: parser.position) }
        return value
    }

    /// Parses a document held in a string.
    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        let utf8 = Array(text.utf8)
        var result: Result<JSONValue, JSONError> = .failure(.unexpectedEnd)
        utf8.withUnsafeBytes { buffer in result = Result { () throws(JSONError) in try parse(buffer) } }
        return try result.get()
    }

    // MARK: values

    private mutating func parseValue() throws(JSONError) -> JSONValue {
        guard let byte = peek() else { throw .unexpectedEnd }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw .unexpectedCharacter(offset: position)
        }
    }

    private mutating func parseObject() throws(JSONError) -> JSONValue {
        try enterContainer()
        position += 1  // {
        var object = JSONObject()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw peek() == nil ? .unexpectedEnd : .unexpectedCharacter(offset: position) }
            let keyOffset = position
            let key = try parseString()
            guard object[key] == nil else { throw .duplicateKey(key, offset: keyOffset) }
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            object[key] = try parseValue()
            skipWhitespace()
            if try endOfContainer(closing: UInt8(ascii: "}")) { break }
        }
        depth -= 1
        return .object(object)
    }

    private mutating func parseArray() throws(JSONError) -> JSONValue {
        try enterContainer()
        position += 1  // [
        var items: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            if try endOfContainer(closing: UInt8(ascii: "]")) { break }
        }
        depth -= 1
        return .array(items)
    }

    /// After an element: `,` continues (false), `closing` ends (true).
    private mutating func endOfContainer(closing: UInt8) throws(JSONError) -> Bool {
        guard let byte = peek() else { throw .unexpectedEnd }
        position += 1
        if byte == UInt8(ascii: ",") { return false }
        if byte == closing { return true }
        throw .unexpectedCharacter(offset: position - 1)
    }

    private mutating func enterContainer() throws(JSONError) {
        depth += 1
        guard depth <= JSONParser.maxDepth else { throw .tooDeep(offset: position) }
    }

    // MARK: strings

    private mutating func parseString() throws(JSONError) -> String {
        let start = position
        position += 1  // opening quote
        var utf8: [UInt8] = []
        while true {
            guard let byte = peek() else { throw .unterminatedString(offset: start) }
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else { throw .invalidUTF8(offset: start) }
                return text
            case UInt8(ascii: "\\"):
                try parseEscape(into: &utf8)
            case 0..<0x20:
                throw .controlCharacterInString(offset: position - 1)
            default:
                utf8.append(byte)
            }
        }
    }

    private mutating func parseEscape(into utf8: inout [UInt8]) throws(JSONError) {
        guard let byte = peek() else { throw .unexpectedEnd }
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            let escapeOffset = position - 2
            var scalar = try parseHex4()
            if (0xD800..<0xDC00).contains(scalar) {  // high surrogate: a low one must follow
                guard peek() == UInt8(ascii: "\\"), peek(at: 1) == UInt8(ascii: "u") else {
                    throw .invalidEscape(offset: escapeOffset)
                }
                position += 2
                let low = try parseHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw .invalidEscape(offset: escapeOffset) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw .invalidEscape(offset: escapeOffset)
            }
            utf8.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
        default:
            throw .invalidEscape(offset: position - 2)
        }
    }

    private mutating func parseHex4() throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek() else { throw .unexpectedEnd }
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw .invalidEscape(offset: position)
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    // MARK: numbers and literals

    private mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = position
        if peek() == UInt8(ascii: "-") { position += 1 }
        if peek() == UInt8(ascii: "0") {
            position += 1
        } else {
            guard try digits() > 0 else { throw .invalidNumber(offset: start) }
        }
        if peek() == UInt8(ascii: ".") {
            position += 1
            guard try digits() > 0 else { throw .invalidNumber(offset: start) }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard try digits() > 0 else { throw .invalidNumber(offset: start) }
        }
        let literal = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        return .number(literal)
    }

    private mutating func digits() throws(JSONError) -> Int {
        var count = 0
        while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            position += 1
            count += 1
        }
        return count
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let start = position
        for expected in UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount) {
            guard peek() == expected else { throw .unexpectedCharacter(offset: start) }
            position += 1
        }
    }

    private mutating func expect(_ byte: UInt8) throws(JSONError) {
        guard let actual = peek() else { throw .unexpectedEnd }
        guard actual == byte else { throw .unexpectedCharacter(offset: position) }
        position += 1
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    private func peek(at lookahead: Int = 0) -> UInt8? {
        let index = position + lookahead
        return index < bytes.count ? bytes[index] : nil
    }
}

/// Why a JSON document was refused (offsets are byte offsets into the document).
public enum JSONError: Error, Equatable, CustomStringConvertible {
    case unexpectedEnd
    case unexpectedCharacter(offset: Int)
    case trailingCharacters(offset: Int)
    case unterminatedString(offset: Int)
    case controlCharacterInString(offset: Int)
    case invalidEscape(offset: Int)
    case invalidUTF8(offset: Int)
    case invalidNumber(offset: Int)
    case duplicateKey(String, offset: Int)
    case tooDeep(offset: Int)

    public var description: String {
        switch self {
        case .unexpectedEnd: "unexpected end of JSON"
        case let .unexpectedCharacter(offset): "unexpected character at byte \(offset)"
        case let .trailingCharacters(offset): "unexpected data after the JSON value at byte \(offset)"
        case let .unterminatedString(offset): "unterminated string starting at byte \(offset)"
        case let .controlCharacterInString(offset): "control character in string at byte \(offset)"
        case let .invalidEscape(offset): "invalid escape at byte \(offset)"
        case let .invalidUTF8(offset): "invalid UTF-8 in string at byte \(offset)"
        case let .invalidNumber(offset): "invalid number at byte \(offset)"
        case let .duplicateKey(key, offset): "duplicate key \"\(key)\" at byte \(offset)"
        case let .tooDeep(offset): "nesting deeper than \(JSONParser.maxDepth) at byte \(offset)"
        }
    }
}
