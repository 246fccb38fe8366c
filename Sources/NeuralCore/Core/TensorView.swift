/// A shaped, strided view over arena memory (NCHW for feature maps, row-major for matrices).
/// It owns nothing: the arena it points into must outlive it.
public struct TensorView: @unchecked Sendable {
    public let data: UnsafeMutablePointer<Float>
    public let shape: [Int]
    public let strides: [Int]

    /// A contiguous (row-major) view.
    public init(_ data: UnsafeMutablePointer<Float>, shape: [Int]) {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in (0..<shape.count).reversed() {
            strides[axis] = step
            step *= shape[axis]
        }
        self.init(data, shape: shape, strides: strides)
    }

    public init(_ data: UnsafeMutablePointer<Float>, shape: [Int], strides: [Int]) {
        precondition(shape.count == strides.count, "shape and strides differ in rank")
        self.data = data
        self.shape = shape
        self.strides = strides
    }

    public var count: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }

    public var isContiguous: Bool { self.strides == TensorView(data, shape: shape).strides }

    @inline(__always)
    func offset(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index rank \(index.count) != tensor rank \(shape.count)")
        var offset = 0
        for axis in 0..<index.count {
            precondition(index[axis] >= 0 && index[axis] < shape[axis], "index out of range on axis \(axis)")
            offset += index[axis] * strides[axis]
        }
        return offset
    }

    public subscript(_ index: Int...) -> Float {
        get { data[offset(index)] }
        nonmutating set { data[offset(index)] = newValue }
    }

    /// Same memory with the axes reordered (no copy), e.g. NCHW -> NHWC with [0, 2, 3, 1].
    public func permuted(_ axes: [Int]) -> TensorView {
        precondition(axes.sorted() == Array(0..<rank), "not a permutation")
        return TensorView(data, shape: axes.map { shape[$0] }, strides: axes.map { strides[$0] })
    }

    /// Sub-range along axis 0 (e.g. one image of a batch).
    public func slice(_ range: Range<Int>) -> TensorView {
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[0], "slice out of range")
        var newShape = shape
        newShape[0] = range.count
        return TensorView(data + range.lowerBound * strides[0], shape: newShape, strides: strides)
    }

    /// A contiguous view with another shape of the same element count.
    public func reshaped(_ newShape: [Int]) -> TensorView {
        precondition(isContiguous, "reshape needs a contiguous view")
        precondition(newShape.reduce(1, *) == count, "reshape changes element count")
        return TensorView(data, shape: newShape)
    }

    /// Elements in logical (row-major index) order.
    public func toArray() -> [Float] {
        var result = [Float]()
        result.reserveCapacity(count)
        var index = [Int](repeating: 0, count: rank)
        for _ in 0..<count {
            result.append(data[offset(index)])
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return result
    }
}
