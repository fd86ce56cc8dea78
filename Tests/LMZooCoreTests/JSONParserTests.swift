import Testing
@testable import LMZooCore

@Suite struct JSONParserTests {
    @Test func parsesNestedDocumentsKeepingKeyOrder() throws {
        let value = try JSONParser.parse(#" {"b": [1, -2.5e3, true, null], "a": {"x": "y\n\u00e9\ud83d\ude00"}} "#)
        #expect(value.objectValue?.keys == ["b", "a"])
        #expect(value["b"]?.arrayValue?[0].intValue == 1)
        #expect(value["b"]?.arrayValue?[1].doubleValue == -2500)
        #expect(value["b"]?.arrayValue?[1].intValue == nil)
        #expect(value["a"]?["x"]?.stringValue == "y\né😀")
    }

    @Test func keepsLargeIntegersExact() throws {
        let value = try JSONParser.parse("[9007199254740993, 18446744073709551616]")
        #expect(value.arrayValue?[0].intValue == 9_007_199_254_740_993)
        #expect(value.arrayValue?[1].intValue == nil)  // beyond Int: not silently rounded
    }

    @Test(arguments: [
        (#"{"a":1,"a":2}"#, JSONError.duplicateKey("a", offset: 7)),
        ("[1,]", .unexpectedCharacter(offset: 3)),
        ("[1 2]", .unexpectedCharacter(offset: 3)),
        ("01", .trailingCharacters(offset: 1)),
        ("-", .invalidNumber(offset: 0)),
        ("1.", .invalidNumber(offset: 0)),
        (#""abc"#, .unterminatedString(offset: 0)),
        ("\"a\u{01}\"", .controlCharacterInString(offset: 2)),
        (#""\x""#, .invalidEscape(offset: 1)),
        (#""\ud800""#, .invalidEscape(offset: 1)),
        ("{", .unexpectedEnd),
        ("tru", .unexpectedCharacter(offset: 0)),
        ("{} x", .trailingCharacters(offset: 3)),
    ])
    func refusesMalformedDocuments(text: String, expected: JSONError) {
        #expect(throws: expected) { try JSONParser.parse(text) }
    }

    @Test func refusesInvalidUTF8AndDeepNesting() {
        let bytes: [UInt8] = [0x22, 0xFF, 0x22]
        #expect(throws: JSONError.invalidUTF8(offset: 0)) {
            try bytes.withUnsafeBytes { try JSONParser.parse($0) }
        }
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: JSONError.tooDeep(offset: JSONParser.maxDepth)) { try JSONParser.parse(deep) }
    }

    @Test func writerRoundTripsThroughParser() throws {
        let value: JSONValue = ["name": "tab\there \"quoted\" \u{01}", "list": [1, 2.5, nil, true], "empty": [:]]
        #expect(value.compactText == #"{"name":"tab\there \"quoted\" \u0001","list":[1,2.5,null,true],"empty":{}}"#)
        #expect(try JSONParser.parse(value.compactText) == value)
        #expect(try JSONParser.parse(value.prettyText) == value)
    }
}
