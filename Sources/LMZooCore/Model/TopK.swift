/// Selecting the largest entries of a score vector.
public enum TopK {
    /// Indices of the `k` largest values, largest first (ties: lower index first). NaNs are skipped.
    public static func indices(of values: [Float], k: Int) -> [Int] {
        let k = min(max(k, 0), values.count)
        guard k > 0 else { return [] }
        if k > 64 {  // many (a sampler's "all tokens" over a 50k vocabulary): sort, O(n log n)
            let order = values.indices.filter { !values[$0].isNaN }.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
            return Array(order.prefix(k))
        }
        // A small sorted window is enough for the k (usually <= 100) that users ask for.
        var best: [(value: Float, index: Int)] = []
        best.reserveCapacity(k + 1)
        for (index, value) in values.enumerated() where !value.isNaN {
            if best.count == k, value <= best[k - 1].value { continue }
            var position = best.count
            while position > 0, best[position - 1].value < value { position -= 1 }
            best.insert((value, index), at: position)
            if best.count > k { best.removeLast() }
        }
        return best.map(\.index)
    }
}
