import Foundation

/// GPT-2's byte-level BPE tokenizer (OpenAI `encoder.py`; Hugging Face `tokenizers` `BPE` +
/// `ByteLevel` pre-tokenizer/decoder): text -> ``GPT2PreTokenizer`` pieces -> UTF-8 bytes mapped to
/// printable characters -> merges applied lowest rank first (a `(left, right) -> rank` table), with a
/// cache of finished pieces. Special tokens (`<|endoftext|>`) are matched literally before splitting.
public final class ByteLevelBPETokenizer: Tokenizer, @unchecked Sendable {
    /// Token strings by id, in the byte-to-unicode alphabet (`Ġthe`).
    public let tokens: [String]
    /// The merges (`"left right"`) in priority order, as given.
    public let merges: [String]
    public var vocabularySize: Int { tokens.count }
    public let bosID: Int?
    public let eosID: Int?
    /// Ids matched literally in the text and never merged (`<|endoftext|>`).
    public let specialIDs: [Int]

    private let byteIDs: [Int]  // id of each single byte's character
    private let mergeTable: [UInt64: (rank: Int32, merged: Int32)]
    private let idBytes: [[UInt8]]
    private let specialTokens: [(text: String, id: Int)]
    private var cache: [String: [Int]] = [:]
    private let lock = NSLock()

    /// The GPT-2 byte -> character table (printable bytes map to themselves, others to U+0100...).
    public static let byteToCharacter: [Character] = {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var table = [Character](repeating: " ", count: 256)
        for b in printable { table[b] = Character(Unicode.Scalar(UInt8(b))) }
        var next = 256
        for b in 0..<256 where !printable.contains(b) {
            table[b] = Character(Unicode.Scalar(UInt32(next))!)
            next += 1
            printable.append(b)
        }
        return table
    }()

    /// Builds the tokenizer from the vocabulary (index = id) and merges (`"left right"`, priority
    /// order). `specialTokens` are the control tokens; `bos`/`eos` name ids. Throws when the vocabulary
    /// lacks a byte's character or a merge names an unknown token.
    public init(tokens: [String], merges: [String], specialTokens: [String] = ["<|endoftext|>"],
                bos: String? = "<|endoftext|>", eos: String? = "<|endoftext|>") throws {
        self.tokens = tokens
        self.merges = merges
        var idOf: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where idOf[token] == nil { idOf[token] = id }
        let characterToByte = Dictionary(uniqueKeysWithValues: Self.byteToCharacter.enumerated().map { ($1, UInt8($0)) })
        byteIDs = try Self.byteToCharacter.map { character in
            guard let id = idOf[String(character)] else { throw TokenizerError.missingByteToken(String(character)) }
            return id
        }
        var table: [UInt64: (Int32, Int32)] = [:]
        table.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, let left = idOf[String(parts[0])], let right = idOf[String(parts[1])],
                  let merged = idOf[String(parts[0] + parts[1])] else { throw TokenizerError.badMerge(rank: rank, merge) }
            let key = UInt64(left) << 32 | UInt64(right)
            if table[key] == nil { table[key] = (Int32(rank), Int32(merged)) }
        }
        mergeTable = table
        let special = specialTokens.compactMap { text in idOf[text].map { (text: text, id: $0) } }
        self.specialTokens = special.sorted { $0.text.count > $1.text.count }
        specialIDs = special.map(\.id)
        let specialSet = Set(specialIDs)
        idBytes = tokens.enumerated().map { id, token in
            specialSet.contains(id) ? Array(token.utf8) : token.map { characterToByte[$0] ?? 0x3F }
        }
        bosID = bos.flatMap { idOf[$0] }
        eosID = eos.flatMap { idOf[$0] }
    }

    public func encode(_ text: String) throws -> [Int] {
        var ids: [Int] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            // The earliest special token (longest first on a tie), else the whole rest.
            var cut: (range: Range<Substring.Index>, id: Int)?
            for special in specialTokens {
                if let range = rest.range(of: special.text), cut == nil || range.lowerBound < cut!.range.lowerBound {
                    cut = (range, special.id)
                }
            }
            let plain = cut.map { rest[..<$0.range.lowerBound] } ?? rest
            for piece in GPT2PreTokenizer.split(String(plain)) { ids += encodePiece(piece) }
            guard let cut else { break }
            ids.append(cut.id)
            rest = rest[cut.range.upperBound...]
        }
        return ids
    }

    /// BPE of one pre-token: bytes -> ids, then repeatedly merge the lowest-ranked adjacent pair
    /// (leftmost on a tie), as `tokenizers`' `BPE::merge_word`.
    private func encodePiece(_ substring: Substring) -> [Int] {
        let piece = String(substring)
        if let hit = lock.withLock({ cache[piece] }) { return hit }
        var word = piece.utf8.map { byteIDs[Int($0)] }
        while word.count > 1 {
            var best: (index: Int, rank: Int32, merged: Int32)?
            for i in 0..<(word.count - 1) {
                if let entry = mergeTable[UInt64(word[i]) << 32 | UInt64(word[i + 1])], best == nil || entry.rank < best!.rank {
                    best = (i, entry.rank, entry.merged)
                }
            }
            guard let best else { break }
            // Merge every occurrence of the best pair, left to right (same result as one at a time).
            let (left, right) = (word[best.index], word[best.index + 1])
            var merged: [Int] = []
            merged.reserveCapacity(word.count)
            var i = 0
            while i < word.count {
                if i + 1 < word.count, word[i] == left, word[i + 1] == right {
                    merged.append(Int(best.merged))
                    i += 2
                } else {
                    merged.append(word[i])
                    i += 1
                }
            }
            word = merged
        }
        lock.withLock { if cache.count < 100_000 { cache[piece] = word } }
        return word
    }

    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids where id >= 0 && id < idBytes.count { bytes += idBytes[id] }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func token(for id: Int) -> String? { id >= 0 && id < tokens.count ? tokens[id] : nil }
}

/// Why a tokenizer could not be built.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    case missingByteToken(String)
    case badMerge(rank: Int, String)

    public var description: String {
        switch self {
        case let .missingByteToken(token): "byte-level vocabulary lacks the byte token '\(token)'"
        case let .badMerge(rank, merge): "merge \(rank) '\(merge)' is not two known tokens forming a known token"
        }
    }
}
