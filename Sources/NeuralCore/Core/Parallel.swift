import Dispatch

/// Splits independent loop iterations (channels, planes, chunks) over a few threads.
/// Bodies must write disjoint memory; with `threads <= 1` it is a plain loop, so layers
/// stay deterministic and single-threaded unless a caller asks for more.
enum Parallel {
    /// Calls body(i) for every i in 0..<count; iterations are dealt round-robin to threads.
    @inline(__always)
    static func forEach(_ count: Int, threads: Int, _ body: (Int) -> Void) {
        if threads <= 1 || count < 2 {
            for i in 0..<count { body(i) }
            return
        }
        let workers = min(threads, count)
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)  // raw-pointer captures; disjoint writes by contract
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for i in stride(from: worker, to: count, by: workers) { shared.value(i) }
            }
        }
    }

    /// Calls body(range) on contiguous chunks covering 0..<count (elementwise loops).
    @inline(__always)
    static func forChunks(_ count: Int, threads: Int, minimumChunk: Int = 32_768, _ body: (Range<Int>) -> Void) {
        let chunks = min(max(threads, 1), max(1, count / minimumChunk))
        let size = (count + chunks - 1) / max(chunks, 1)
        forEach(chunks, threads: threads) { chunk in
            let start = chunk * size
            if start < count { body(start..<min(count, start + size)) }
        }
    }
}

struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
