/// Bottom-up clustering with average linkage on Euclidean distance: start with one cluster
/// per item, repeatedly merge the closest pair, stop when the closest pair is further apart
/// than `threshold`. Weighted by item size (seconds of speech), so a long segment counts
/// more than a short one in a cluster's average. O(n²) memory, about O(n²) time with each
/// row's nearest neighbour cached.
public enum AgglomerativeClustering {
    /// Returns a cluster number per item (0-based, in order of first appearance).
    public static func cluster(_ points: [[Float]], weights: [Double]? = nil, threshold: Float) -> [Int] {
        let n = points.count
        guard n > 1 else { return Array(repeating: 0, count: n) }
        var size = weights ?? Array(repeating: 1, count: n)
        var distance = [Float](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in (i + 1)..<n {
                var sum: Float = 0
                for (a, b) in zip(points[i], points[j]) { sum += (a - b) * (a - b) }
                distance[i * n + j] = sum.squareRoot()
                distance[j * n + i] = distance[i * n + j]
            }
        }
        var alive = [Bool](repeating: true, count: n)
        var parent = Array(0..<n)
        var nearest = [Int](repeating: -1, count: n)
        func refresh(_ i: Int) {
            var best = -1
            var bestDistance = Float.infinity
            for j in 0..<n where j != i && alive[j] && distance[i * n + j] < bestDistance {
                best = j; bestDistance = distance[i * n + j]
            }
            nearest[i] = best
        }
        for i in 0..<n { refresh(i) }
        while true {
            var a = -1
            var bestDistance = Float.infinity
            for i in 0..<n where alive[i] && nearest[i] >= 0 && distance[i * n + nearest[i]] < bestDistance {
                a = i; bestDistance = distance[i * n + nearest[i]]
            }
            guard a >= 0, bestDistance <= threshold else { break }
            let b = nearest[a]
            // Merge b into a (Lance-Williams update for average linkage).
            let (wa, wb) = (size[a], size[b])
            for k in 0..<n where alive[k] && k != a && k != b {
                let d = Float((Double(distance[a * n + k]) * wa + Double(distance[b * n + k]) * wb) / (wa + wb))
                distance[a * n + k] = d
                distance[k * n + a] = d
            }
            size[a] = wa + wb
            alive[b] = false
            parent[b] = a
            for k in 0..<n where alive[k] && (k == a || nearest[k] == a || nearest[k] == b) { refresh(k) }
            // A row whose distance to a dropped may now prefer a.
            for k in 0..<n where alive[k] && k != a && distance[k * n + a] < distance[k * n + max(nearest[k], 0)] { nearest[k] = a }
        }
        func root(_ i: Int) -> Int { var r = i; while parent[r] != r { r = parent[r] }; return r }
        var numbers: [Int: Int] = [:]
        return (0..<n).map { i in
            let r = root(i)
            if let k = numbers[r] { return k }
            numbers[r] = numbers.count
            return numbers[r]!
        }
    }
}
