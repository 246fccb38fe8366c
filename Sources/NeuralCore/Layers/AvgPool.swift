/// Average pooling; padded taps count as zeros in a divisor of kernel*kernel
/// (PyTorch's default count_include_pad = true).
public enum AvgPool {
    /// output: [N, C, Ho, Wo]; input: [N, C, H, W]
    public static func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, geometry g: PoolGeometry) {
        let scale = 1 / Float(g.kernel * g.kernel)
        for plane in 0..<g.planes {
            let x = input + plane * g.height * g.width
            for oy in 0..<g.outHeight {
                let y0 = max(0, oy * g.stride - g.padding), y1 = min(g.height, oy * g.stride - g.padding + g.kernel)
                for ox in 0..<g.outWidth {
                    let x0 = max(0, ox * g.stride - g.padding), x1 = min(g.width, ox * g.stride - g.padding + g.kernel)
                    var total: Float = 0
                    for y in y0..<y1 { for xx in x0..<x1 { total += x[y * g.width + xx] } }
                    output[(plane * g.outHeight + oy) * g.outWidth + ox] = total * scale
                }
            }
        }
    }

    /// inputGrad [N, C, H, W] += each output gradient spread evenly over its window.
    public static func backward(inputGrad: UnsafeMutablePointer<Float>, outputGrad: UnsafePointer<Float>, geometry g: PoolGeometry) {
        let scale = 1 / Float(g.kernel * g.kernel)
        for plane in 0..<g.planes {
            let dx = inputGrad + plane * g.height * g.width
            for oy in 0..<g.outHeight {
                let y0 = max(0, oy * g.stride - g.padding), y1 = min(g.height, oy * g.stride - g.padding + g.kernel)
                for ox in 0..<g.outWidth {
                    let x0 = max(0, ox * g.stride - g.padding), x1 = min(g.width, ox * g.stride - g.padding + g.kernel)
                    let share = outputGrad[(plane * g.outHeight + oy) * g.outWidth + ox] * scale
                    for y in y0..<y1 { for xx in x0..<x1 { dx[y * g.width + xx] += share } }
                }
            }
        }
    }

    public static func referenceForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, geometry g: PoolGeometry) {
        for plane in 0..<g.planes {
            for oy in 0..<g.outHeight {
                for ox in 0..<g.outWidth {
                    var total = 0.0
                    for ky in 0..<g.kernel {
                        for kx in 0..<g.kernel {
                            let y = oy * g.stride - g.padding + ky, x = ox * g.stride - g.padding + kx
                            if y >= 0 && y < g.height && x >= 0 && x < g.width {
                                total += Double(input[(plane * g.height + y) * g.width + x])
                            }
                        }
                    }
                    output[(plane * g.outHeight + oy) * g.outWidth + ox] = Float(total / Double(g.kernel * g.kernel))
                }
            }
        }
    }
}
