import CZip
import LMZooCore

/// Reads ARPA back-off language models (`.arpa`, or gzip-compressed `.arpa.gz`, recognised by the
/// gzip magic bytes), as KenLM's `lm/read_arpa.cc` does, with stricter checks:
///
/// - `\data\` (anything before it is ignored) lists `ngram N=COUNT` for N = 1, 2, ... in turn;
/// - then one `\N-grams:` section per order, each with exactly COUNT entries
///   `log10prob <tab> w1 ... wN [<tab> log10backoff]`, no backoff on the highest order;
/// - words of higher orders must be 1-grams; no n-gram twice; `\end\` closes the file.
///
/// Every problem is an ``ARPAError`` naming its line. `<unk>`, `<s>` or `</s>` missing from the
/// 1-grams are added with log10 probability -100, as KenLM substitutes them.
enum ARPAReader {
    /// Highest order accepted.
    static let maxOrder = 16
    /// Largest (decompressed) file accepted.
    static let maxBytes = ReaderLimits.arpaBytes

    /// Reads `path` (plain or gzip).
    static func read(path: String) throws -> NGramTables {
        let file = try MappedFile(path: path)
        if file.count >= 2, file.bytes[0] == 0x1F, file.bytes[1] == 0x8B {
            let inflated = try Gzip.inflate(path: path, limit: maxBytes)
            return try inflated.withUnsafeBytes { try parse($0) }
        }
        guard file.count <= maxBytes else { throw ARPAError.tooLarge(bytes: file.count, limit: maxBytes) }
        return try parse(file.bytes)
    }

    /// Parses ARPA text.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> NGramTables {
        var lines = LineCursor(bytes)
        // Preamble, then \data\.
        while true {
            guard let line = lines.next() else { throw ARPAError.missingData }
            if line.trimmed.equals("\\data\\") { break }
        }
        // ngram N=COUNT lines, up to a blank line or a section header.
        var counts: [Int] = []
        while true {
            guard let line = lines.peek() else { throw ARPAError.missingEnd(line: lines.lineNumber) }
            let text = line.trimmed
            if text.isEmpty {
                _ = lines.next()
                if counts.isEmpty { continue } else { break }
            }
            if text.first == UInt8(ascii: "\\") { break }
            _ = lines.next()
            let number = lines.lineNumber
            let fields = text.fields()
            guard fields.count >= 2, fields[0].equals("ngram") else {
                throw ARPAError.badCountLine(line: number, text: text.string)
            }
            let assignment = fields[1...].map(\.string).joined()
            let parts = assignment.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, let n = Int(parts[0]) else { throw ARPAError.badCountLine(line: number, text: text.string) }
            guard n == counts.count + 1 else { throw ARPAError.nonConsecutiveOrder(line: number, expected: counts.count + 1, found: n) }
            guard n <= maxOrder else { throw ARPAError.orderTooHigh(line: number, order: n, limit: maxOrder) }
            // Each entry takes at least 4 bytes: a count beyond that cannot be honest (and would
            // make us allocate for nothing).
            guard let count = Int(parts[1]), count >= 0, count <= bytes.count / 4 + 4 else {
                throw ARPAError.badCount(line: number, text: String(parts[1]))
            }
            counts.append(count)
        }
        guard !counts.isEmpty else { throw ARPAError.noCounts(line: lines.lineNumber) }
        // Every entry of every order takes a line of at least 4 bytes: the declared total, not just
        // each count, must fit in the file before anything is allocated for it.
        guard counts.reduce(0, +) <= bytes.count / 4 + 4 else {
            throw ARPAError.badCount(line: lines.lineNumber, text: "\(counts.reduce(0, +)) n-grams in all, more than the file can hold")
        }
        let order = counts.count

        let vocabulary = Vocabulary()
        vocabulary.reserve(counts[0] + 3)
        var probs: [Column<Float>] = []
        var backoffs: [Column<Float>] = []
        var words: [Column<UInt32>] = [Column([])]
        var tables: [ProbingTable] = []

        for n in 1...order {
            // Section header.
            lines.skipBlank()
            guard let header = lines.next() else { throw ARPAError.missingSection(line: lines.lineNumber + 1, order: n, found: "") }
            guard header.trimmed.equals("\\\(n)-grams:") else {
                throw ARPAError.missingSection(line: lines.lineNumber, order: n, found: header.trimmed.string)
            }
            let declared = counts[n - 1]
            // Entries go straight into buffers of the declared size (freed on error by their owners).
            let nProbs = UnsafeBuffer<Float>(declared + (n == 1 ? 3 : 0))
            let nBackoffs = UnsafeBuffer<Float>(n < order ? declared + (n == 1 ? 3 : 0) : 0)
            let nWords = UnsafeBuffer<UInt32>(n > 1 ? declared * n : 0)
            let builder = n > 1 ? ProbingTable.Builder(capacity: declared) : nil
            let keys = UnsafeBuffer<UInt64>(n > 1 ? declared : 0)
            let keysOut = keys.base
            let headerLine = lines.lineNumber
            let index = n > 1 ? VocabularyIndex(vocabulary) : nil
            let probOut = nProbs.base, backoffOut = nBackoffs.base, wordsOut = nWords.base

            for found in 0..<declared {
                guard let line = lines.next() else { throw ARPAError.tooFewNGrams(line: lines.lineNumber + 1, order: n, declared: declared, found: found) }
                let number = lines.lineNumber
                var fields = FieldCursor(line)
                guard let first = fields.next() else {
                    throw ARPAError.tooFewNGrams(line: number, order: n, declared: declared, found: found)
                }
                if first.first == UInt8(ascii: "\\") {
                    throw ARPAError.tooFewNGrams(line: number, order: n, declared: declared, found: found)
                }
                guard let prob = first.float() else { throw ARPAError.badNumber(line: number, text: first.string) }
                let gram = n > 1 ? wordsOut + found * n : wordsOut
                var key: UInt64 = 0
                for k in 0..<n {
                    guard let word = fields.next() else { throw ARPAError.badFieldCount(line: number, order: n, fields: 1 + k) }
                    if let index {
                        guard let id = index.id(of: word.buffer) else { throw ARPAError.unknownWord(line: number, word: word.string) }
                        gram[k] = UInt32(id)
                    } else {
                        guard vocabulary.add(word.buffer) != nil else { throw ARPAError.duplicateNGram(line: number, ngram: word.string) }
                    }
                }
                var backoff: Float = 0
                if let extra = fields.next() {
                    guard n < order else {
                        if fields.next() == nil, extra.float() != nil { throw ARPAError.backoffOnHighestOrder(line: number) }
                        throw ARPAError.badFieldCount(line: number, order: n, fields: n + 2 + fields.remainingCount())
                    }
                    guard let value = extra.float() else { throw ARPAError.badNumber(line: number, text: extra.string) }
                    backoff = value
                    if fields.next() != nil { throw ARPAError.badFieldCount(line: number, order: n, fields: n + 3 + fields.remainingCount()) }
                }
                probOut[found] = prob
                if n < order { backoffOut[found] = backoff }
                if n > 1 {
                    key = NGramHash.key(UnsafeBufferPointer(start: gram, count: n))
                    keysOut[found] = key
                }
            }
            if let builder, let duplicate = builder.insertAll(keys: keysOut, probs: probOut, backoffs: n < order ? backoffOut : nil, count: declared) {
                // Entries are consecutive lines after the header.
                let gram = UnsafeBufferPointer(start: wordsOut + duplicate * n, count: n)
                throw ARPAError.duplicateNGram(line: headerLine + 1 + duplicate, ngram: gram.map { vocabulary.word(Int($0)) }.joined(separator: " "))
            }
            var entries = declared
            // The section must end here: a blank line, the next header or \end\.
            lines.skipBlank()
            if let next = lines.peek(), next.trimmed.first != UInt8(ascii: "\\") {
                throw ARPAError.tooManyNGrams(line: lines.lineNumber + 1, order: n, declared: declared)
            }
            if n == 1 {
                // KenLM substitutes missing special words with log10 probability -100.
                for special in [Vocabulary.unknownWord, Vocabulary.beginWord, Vocabulary.endWord] where vocabulary.id(of: special) == nil {
                    vocabulary.add(special)
                    probOut[entries] = -100
                    if n < order { backoffOut[entries] = 0 }
                    entries += 1
                }
            }
            probs.append(nProbs.column(count: entries))
            if n < order { backoffs.append(nBackoffs.column(count: entries)) }
            if n > 1 { words.append(nWords.column(count: declared * n)) }
            if let builder { tables.append(builder.finish()) }
        }
        lines.skipBlank()
        guard let end = lines.next() else { throw ARPAError.missingEnd(line: lines.lineNumber + 1) }
        guard end.trimmed.equals("\\end\\") else { throw ARPAError.unexpectedLine(line: lines.lineNumber, text: end.trimmed.string) }
        return NGramTables(order: order, vocabulary: vocabulary, probs: probs, backoffs: backoffs, words: words, tables: tables)
    }
}

/// Memory for `capacity` values that is freed unless handed to a ``Column``.
final class UnsafeBuffer<Element: BitwiseCopyable> {
    let base: UnsafeMutablePointer<Element>
    private let capacity: Int
    private var adopted = false

    init(_ capacity: Int) {
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: self.capacity)
    }

    /// The first `count` values (initialized by the caller) as a column that now owns the memory.
    func column(count: Int) -> Column<Element> {
        adopted = true
        return Column(adopting: UnsafeMutableBufferPointer(start: base, count: capacity), count: count)
    }

    deinit { if !adopted { base.deallocate() } }
}

/// A byte range of the input (a line or a field).
struct ByteSpan {
    let base: UnsafePointer<UInt8>
    let count: Int

    var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }
    var isEmpty: Bool { count == 0 }
    var first: UInt8? { count > 0 ? base[0] : nil }
    var string: String { String(decoding: buffer, as: UTF8.self) }

    func equals(_ text: StaticString) -> Bool {
        text.utf8CodeUnitCount == count && memcmp(base, text.utf8Start, count) == 0
    }

    func equals(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { $0.count == count && ($0.isEmpty || memcmp(base, $0.baseAddress!, count) == 0) }
    }

    /// Without leading and trailing blanks (space, tab, CR, FF, VT).
    var trimmed: ByteSpan {
        var start = 0, end = count
        while start < end, ByteSpan.isBlank(base[start]) { start += 1 }
        while end > start, ByteSpan.isBlank(base[end - 1]) { end -= 1 }
        return ByteSpan(base: base + start, count: end - start)
    }

    /// The blank-separated fields.
    func fields() -> [ByteSpan] {
        var cursor = FieldCursor(self)
        var result: [ByteSpan] = []
        while let field = cursor.next() { result.append(field) }
        return result
    }

    @inline(__always)
    static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    /// A finite decimal number (`-1.25`, `3`, `-4.5e-07`), correctly rounded in the common case
    /// (at most 19 significant digits and a power of ten up to 22).
    func float() -> Float? {
        var i = 0
        var negative = false
        if i < count, base[i] == UInt8(ascii: "-") || base[i] == UInt8(ascii: "+") {
            negative = base[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0
        var exponent = 0
        var digits = 0
        var significant = 0
        while i < count, base[i] &- 48 < 10 {
            if significant < 19 {
                mantissa = mantissa * 10 + UInt64(base[i] &- 48)
                if mantissa > 0 { significant += 1 }
            } else {
                exponent += 1
            }
            digits += 1
            i += 1
        }
        if i < count, base[i] == UInt8(ascii: ".") {
            i += 1
            while i < count, base[i] &- 48 < 10 {
                if significant < 19 {
                    mantissa = mantissa * 10 + UInt64(base[i] &- 48)
                    if mantissa > 0 { significant += 1 }
                    exponent -= 1
                }
                digits += 1
                i += 1
            }
        }
        guard digits > 0 else { return nil }
        if i < count, base[i] == UInt8(ascii: "e") || base[i] == UInt8(ascii: "E") {
            i += 1
            var negativeExponent = false
            if i < count, base[i] == UInt8(ascii: "-") || base[i] == UInt8(ascii: "+") {
                negativeExponent = base[i] == UInt8(ascii: "-")
                i += 1
            }
            var value = 0
            var exponentDigits = 0
            while i < count, base[i] &- 48 < 10 {
                if value < 100_000 { value = value * 10 + Int(base[i] &- 48) }
                exponentDigits += 1
                i += 1
            }
            guard exponentDigits > 0 else { return nil }
            exponent += negativeExponent ? -value : value
        }
        guard i == count else { return nil }
        var result: Double
        if mantissa == 0 {
            result = 0
        } else if mantissa < (1 << 53), exponent >= -22, exponent <= 22 {
            result = exponent < 0 ? Double(mantissa) / ByteSpan.powersOfTen[-exponent] : Double(mantissa) * ByteSpan.powersOfTen[exponent]
        } else {
            result = Double(mantissa) * pow(10.0, Double(exponent))
        }
        if negative { result = -result }
        let single = Float(result)
        return single.isFinite ? single : nil
    }

    private static let powersOfTen: [Double] = (0...22).map { pow(10.0, Double($0)) }
}

/// Lines of a byte buffer (LF-terminated; a CR before the LF is blank and trimmed by callers).
struct LineCursor {
    private let base: UnsafePointer<UInt8>?
    private let end: Int
    private var position = 0
    /// 1-based number of the line last returned by ``next()``.
    private(set) var lineNumber = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        end = bytes.count
    }

    /// The next line without consuming it.
    func peek() -> ByteSpan? {
        guard let base, position < end else { return nil }
        let start = base + position
        let newline = memchr(start, 0x0A, end - position)
        let length = newline.map { UnsafeRawPointer($0) - UnsafeRawPointer(start) } ?? (end - position)
        return ByteSpan(base: start, count: length)
    }

    /// The next line.
    @inline(__always)
    mutating func next() -> ByteSpan? {
        guard let line = peek() else { return nil }
        position += line.count + 1
        lineNumber += 1
        return line
    }

    /// Skips lines that are empty or blank.
    mutating func skipBlank() {
        while let line = peek(), line.trimmed.isEmpty { _ = next() }
    }
}

/// Blank-separated fields of a line.
struct FieldCursor {
    private let base: UnsafePointer<UInt8>
    private let end: Int
    private var position = 0

    init(_ span: ByteSpan) {
        base = span.base
        end = span.count
    }

    @inline(__always)
    mutating func next() -> ByteSpan? {
        while position < end, ByteSpan.isBlank(base[position]) { position += 1 }
        guard position < end else { return nil }
        let start = position
        while position < end, !ByteSpan.isBlank(base[position]) { position += 1 }
        return ByteSpan(base: base + start, count: position - start)
    }

    /// Fields left (consumes them).
    mutating func remainingCount() -> Int {
        var count = 0
        while next() != nil { count += 1 }
        return count
    }
}

#if canImport(Glibc)
import Glibc
#endif
