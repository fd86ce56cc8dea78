import LMZooCore

/// Writes ARPA text as `lmplz` does: `\data\` counts, then each order's entries
/// `log10prob <tab> words [<tab> log10backoff]` (a backoff on every entry below the highest order),
/// `\end\`. Numbers are the shortest decimal that reads back as the same `Float`. The file is
/// written atomically (temporary file + fsync + rename), gzip-compressed when the name ends in `.gz`
/// (zlib level `gzipLevel`, 9 unless told).
enum ARPAWriter {
    static func write(_ tables: NGramTables, to path: String, gzipLevel: Int32 = 9) throws {
        let writer: any ByteSink = path.lowercased().hasSuffix(".gz")
            ? try GzipFileWriter(destination: path, level: gzipLevel) : try AtomicFileWriter(destination: path)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        func flushIfFull() throws {
            if buffer.count >= 1 << 20 {
                try writer.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        func append(_ text: String) { buffer.append(contentsOf: text.utf8) }
        func appendNumber(_ value: Float) {
            if value == 0 { buffer.append(UInt8(ascii: "0")); return }
            var text = value.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            buffer.append(contentsOf: text.utf8)
        }
        let vocabulary = tables.vocabulary
        let size = vocabulary.count
        func appendWord(_ id: UInt32) throws {
            guard Int(id) < size else { throw ARPAError.badBinary("word id \(id) is outside the vocabulary of \(size) words") }
            vocabulary.withWordBytes(Int(id)) { buffer.append(contentsOf: $0) }
        }

        append("\\data\\\n")
        for n in 1...tables.order { append("ngram \(n)=\(tables.count(order: n))\n") }
        for n in 1...tables.order {
            append("\n\\\(n)-grams:\n")
            let probs = tables.probs[n - 1].values
            let backoffs = n < tables.order ? tables.backoffs[n - 1].values : UnsafeBufferPointer<Float>(start: nil, count: 0)
            let words = tables.words[n - 1].values
            for i in 0..<probs.count {
                appendNumber(probs[i])
                buffer.append(0x09)
                if n == 1 {
                    try appendWord(UInt32(i))
                } else {
                    for k in 0..<n {
                        if k > 0 { buffer.append(0x20) }
                        try appendWord(words[i * n + k])
                    }
                }
                if n < tables.order {
                    buffer.append(0x09)
                    appendNumber(backoffs[i])
                }
                buffer.append(0x0A)
                try flushIfFull()
            }
        }
        append("\n\\end\\\n")
        try writer.write(buffer)
        try writer.commit()
    }
}

/// Where ARPA text goes: a plain file or a gzip stream, both atomic.
protocol ByteSink {
    func write(_ bytes: [UInt8]) throws
    func commit() throws
}

extension AtomicFileWriter: ByteSink {}
extension GzipFileWriter: ByteSink {}
