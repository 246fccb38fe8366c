/// Max pooling; padding counts as -infinity (PyTorch). Backward recomputes the arg-max
/// (first maximum in scan order) instead of storing indices.
public enum MaxPool {
    /// output: [N, C, Ho, Wo]; input: [N, C, H, W]
    public static func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, geometry g: PoolGeometry, threads: Int = 1) {
        Parallel.forEach(g.planes, threads: threads) { plane in
            let x = input + plane * g.height * g.width
            let y = output + plane * g.outHeight * g.outWidth
            for oy in 0..<g.outHeight {
                let y0 = max(0, oy * g.stride - g.padding), y1 = min(g.height, oy * g.stride - g.padding + g.kernel)
                for ox in 0..<g.outWidth {
                    let x0 = max(0, ox * g.stride - g.padding), x1 = min(g.width, ox * g.stride - g.padding + g.kernel)
                    var best = -Float.infinity
                    for yy in y0..<y1 {
                        let row = x + yy * g.width
                        for xx in x0..<x1 { best = max(best, row[xx]) }
                    }
                    y[oy * g.outWidth + ox] = best
                }
            }
        }
    }

    /// inputGrad [N, C, H, W] += outputGrad routed to each window's maximum.
    public static func backward(
        inputGrad: UnsafeMutablePointer<Float>, outputGrad: UnsafePointer<Float>,
        input: UnsafePointer<Float>, geometry g: PoolGeometry, threads: Int = 1
    ) {
        Parallel.forEach(g.planes, threads: threads) { plane in
            let x = input + plane * g.height * g.width
            let dx = inputGrad + plane * g.height * g.width
            let dy = outputGrad + plane * g.outHeight * g.outWidth
            for oy in 0..<g.outHeight {
                for ox in 0..<g.outWidth { dx[argmax(x, oy, ox, g)] += dy[oy * g.outWidth + ox] }
            }
        }
    }

    /// Index within the plane of the window's first maximum (a window always holds a pixel
    /// because padding is at most half the kernel).
    @inline(__always)
    private static func argmax(_ x: UnsafePointer<Float>, _ oy: Int, _ ox: Int, _ g: PoolGeometry) -> Int {
        let y0 = max(0, oy * g.stride - g.padding), y1 = min(g.height, oy * g.stride - g.padding + g.kernel)
        let x0 = max(0, ox * g.stride - g.padding), x1 = min(g.width, ox * g.stride - g.padding + g.kernel)
        var best = y0 * g.width + x0
        for y in y0..<y1 {
            for xx in x0..<x1 where x[y * g.width + xx] > x[best] { best = y * g.width + xx }
        }
        return best
    }

    public static func referenceForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, geometry g: PoolGeometry) {
        for plane in 0..<g.planes {
            for oy in 0..<g.outHeight {
                for ox in 0..<g.outWidth {
                    var best = -Float.infinity
                    for ky in 0..<g.kernel {
                        for kx in 0..<g.kernel {
                            let y = oy * g.stride - g.padding + ky, x = ox * g.stride - g.padding + kx
                            if y >= 0 && y < g.height && x >= 0 && x < g.width {
                                best = max(best, input[(plane * g.height + y) * g.width + x])
                            }
                        }
                    }
                    output[(plane * g.outHeight + oy) * g.outWidth + ox] = best
                }
            }
        }
    }
}
