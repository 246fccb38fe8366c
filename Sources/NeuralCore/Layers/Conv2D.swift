import COpenBLAS

/// Geometry of a square-kernel 2-D convolution over an NCHW batch.
public struct Conv2DGeometry: Sendable, Equatable, CustomStringConvertible {
    public var batch: Int
    public var inChannels: Int
    public var outChannels: Int
    public var height: Int
    public var width: Int
    public var kernel: Int
    public var stride: Int
    public var padding: Int
    public var dilation: Int
    public var groups: Int

    public init(
        batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int,
        kernel: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1
    ) {
        precondition(inChannels % groups == 0 && outChannels % groups == 0, "channels not divisible by groups")
        self.batch = batch
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        precondition(outHeight > 0 && outWidth > 0, "convolution output is empty: \(self)")
    }

    public var outHeight: Int { (height + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1 }
    public var inputCount: Int { batch * inChannels * height * width }
    public var outputCount: Int { batch * outChannels * outHeight * outWidth }
    /// weight: [outChannels, inChannels/groups, kernel, kernel]
    public var weightCount: Int { outChannels * (inChannels / groups) * kernel * kernel }
    /// 1x1, stride 1, no padding: the input already is the column matrix.
    public var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }
    /// Floats of im2col scratch for one image: [inChannels*kernel*kernel, outHeight*outWidth].
    public var columnsCount: Int { isPointwise ? 0 : inChannels * kernel * kernel * outHeight * outWidth }
    public var multiplyAdds: Int { outputCount * (inChannels / groups) * kernel * kernel }

    public var description: String {
        "conv \(batch)x\(inChannels)x\(height)x\(width) -> \(outChannels) k\(kernel) s\(stride) p\(padding) d\(dilation) g\(groups)"
    }
}

/// Convolution as im2col + one sgemm per group per image (cross-correlation, like PyTorch).
/// Gradients accumulate (+=) into their buffers, llm.c style: the caller zeroes them.
public enum Conv2D {
    /// output: [N, Co, Ho, Wo]; input: [N, Ci, H, W]; weight: [Co, Ci/g, k, k]; bias: [Co] or nil;
    /// columns: scratch of `geometry.columnsCount` floats. `threads` splits im2col over input
    /// channels; sgemm runs on OpenBLAS's own threads.
    public static func forward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        geometry g: Conv2DGeometry, columns: UnsafeMutablePointer<Float>, threads: Int = 1
    ) {
        let spatialOut = g.outHeight * g.outWidth
        let groupIn = g.inChannels / g.groups, groupOut = g.outChannels / g.groups
        let reduction = groupIn * g.kernel * g.kernel  // K of the per-group GEMM
        for n in 0..<g.batch {
            let image = input + n * g.inChannels * g.height * g.width  // [Ci, H, W]
            let result = output + n * g.outChannels * spatialOut  // [Co, Ho*Wo]
            let cols: UnsafePointer<Float>  // [Ci*k*k, Ho*Wo]
            if g.isPointwise {
                cols = image
            } else {
                im2col(image, geometry: g, columns: columns, threads: threads)
                cols = UnsafePointer(columns)
            }
            for group in 0..<g.groups {
                // result_g [groupOut, HoWo] = weight_g [groupOut, K] x cols_g [K, HoWo]
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasNoTrans,
                    Int32(groupOut), Int32(spatialOut), Int32(reduction), 1,
                    weight + group * groupOut * reduction, Int32(reduction),
                    cols + group * reduction * spatialOut, Int32(spatialOut), 0,
                    result + group * groupOut * spatialOut, Int32(spatialOut))
            }
            if let bias {
                for c in 0..<g.outChannels {
                    let row = result + c * spatialOut
                    for i in 0..<spatialOut { row[i] += bias[c] }
                }
            }
        }
    }

    /// Accumulates inputGrad [N, Ci, H, W] (if non-nil), weightGrad [Co, Ci/g, k, k] and
    /// biasGrad [Co] (if non-nil) from outputGrad [N, Co, Ho, Wo].
    public static func backward(
        inputGrad: UnsafeMutablePointer<Float>?, weightGrad: UnsafeMutablePointer<Float>,
        biasGrad: UnsafeMutablePointer<Float>?, outputGrad: UnsafePointer<Float>,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        geometry g: Conv2DGeometry, columns: UnsafeMutablePointer<Float>, threads: Int = 1
    ) {
        let spatialOut = g.outHeight * g.outWidth
        let groupIn = g.inChannels / g.groups, groupOut = g.outChannels / g.groups
        let reduction = groupIn * g.kernel * g.kernel
        for n in 0..<g.batch {
            let image = input + n * g.inChannels * g.height * g.width  // [Ci, H, W]
            let resultGrad = outputGrad + n * g.outChannels * spatialOut  // [Co, Ho*Wo]
            let cols: UnsafePointer<Float>
            if g.isPointwise {
                cols = image
            } else {
                im2col(image, geometry: g, columns: columns, threads: threads)
                cols = UnsafePointer(columns)
            }
            for group in 0..<g.groups {
                // weightGrad_g [groupOut, K] += resultGrad_g [groupOut, HoWo] x cols_g^T [HoWo, K]
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans,
                    Int32(groupOut), Int32(reduction), Int32(spatialOut), 1,
                    resultGrad + group * groupOut * spatialOut, Int32(spatialOut),
                    cols + group * reduction * spatialOut, Int32(spatialOut), 1,
                    weightGrad + group * groupOut * reduction, Int32(reduction))
            }
            if let biasGrad {
                for c in 0..<g.outChannels {
                    let row = resultGrad + c * spatialOut
                    var total: Float = 0
                    for i in 0..<spatialOut { total += row[i] }
                    biasGrad[c] += total
                }
            }
            guard let inputGrad else { continue }
            let imageGrad = inputGrad + n * g.inChannels * g.height * g.width
            // cols_g grad [K, HoWo] = weight_g^T [K, groupOut] x resultGrad_g [groupOut, HoWo];
            // pointwise convolutions accumulate straight into the input gradient.
            let target = g.isPointwise ? imageGrad : columns
            for group in 0..<g.groups {
                cblas_sgemm(
                    CblasRowMajor, CblasTrans, CblasNoTrans,
                    Int32(reduction), Int32(spatialOut), Int32(groupOut), 1,
                    weight + group * groupOut * reduction, Int32(reduction),
                    resultGrad + group * groupOut * spatialOut, Int32(spatialOut), g.isPointwise ? 1 : 0,
                    target + group * reduction * spatialOut, Int32(spatialOut))
            }
            if !g.isPointwise { col2imAccumulate(columns, geometry: g, imageGrad: imageGrad, threads: threads) }
        }
    }

    /// columns [Ci*k*k, Ho*Wo] from one image [Ci, H, W]; out-of-image taps are zero.
    static func im2col(_ image: UnsafePointer<Float>, geometry g: Conv2DGeometry, columns: UnsafeMutablePointer<Float>, threads: Int = 1) {
        let outH = g.outHeight, outW = g.outWidth
        Parallel.forEach(g.inChannels, threads: threads) { c in
            let plane = image + c * g.height * g.width
            var row = columns + c * g.kernel * g.kernel * outH * outW
            for ky in 0..<g.kernel {
                for kx in 0..<g.kernel {
                    let dy = ky * g.dilation - g.padding, dx = kx * g.dilation - g.padding
                    // Output columns whose tap lands inside the image: ox in [first, last).
                    let first = min(outW, max(0, (-dx + g.stride - 1) / g.stride))
                    let last = max(first, min(outW, (g.width - dx + g.stride - 1) / g.stride))
                    for oy in 0..<outH {
                        let out = row + oy * outW
                        let iy = oy * g.stride + dy
                        if iy < 0 || iy >= g.height {
                            out.update(repeating: 0, count: outW)
                            continue
                        }
                        let source = plane + iy * g.width + dx
                        for ox in 0..<first { out[ox] = 0 }
                        if g.stride == 1 {
                            (out + first).update(from: source + first, count: last - first)
                        } else {
                            for ox in first..<last { out[ox] = source[ox * g.stride] }
                        }
                        for ox in last..<outW { out[ox] = 0 }
                    }
                    row += outH * outW
                }
            }
        }
    }

    /// The adjoint of im2col: adds each column entry back onto the pixel it was read from.
    static func col2imAccumulate(_ columns: UnsafePointer<Float>, geometry g: Conv2DGeometry, imageGrad: UnsafeMutablePointer<Float>, threads: Int = 1) {
        let outH = g.outHeight, outW = g.outWidth
        Parallel.forEach(g.inChannels, threads: threads) { c in
            let plane = imageGrad + c * g.height * g.width
            var row = columns + c * g.kernel * g.kernel * outH * outW
            for ky in 0..<g.kernel {
                for kx in 0..<g.kernel {
                    let dy = ky * g.dilation - g.padding, dx = kx * g.dilation - g.padding
                    let first = min(outW, max(0, (-dx + g.stride - 1) / g.stride))
                    let last = max(first, min(outW, (g.width - dx + g.stride - 1) / g.stride))
                    for oy in 0..<outH {
                        let iy = oy * g.stride + dy
                        if iy < 0 || iy >= g.height { continue }
                        let source = row + oy * outW
                        let target = plane + iy * g.width + dx
                        for ox in first..<last { target[ox * g.stride] += source[ox] }
                    }
                    row += outH * outW
                }
            }
        }
    }

    /// Direct seven-loop convolution, the reference the fast path is tested against.
    public static func referenceForward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, geometry g: Conv2DGeometry
    ) {
        let groupIn = g.inChannels / g.groups, groupOut = g.outChannels / g.groups
        for n in 0..<g.batch {
            for co in 0..<g.outChannels {
                let group = co / groupOut
                for oy in 0..<g.outHeight {
                    for ox in 0..<g.outWidth {
                        var total = Double(bias?[co] ?? 0)
                        for ci in 0..<groupIn {
                            let channel = group * groupIn + ci
                            for ky in 0..<g.kernel {
                                let iy = oy * g.stride - g.padding + ky * g.dilation
                                if iy < 0 || iy >= g.height { continue }
                                for kx in 0..<g.kernel {
                                    let ix = ox * g.stride - g.padding + kx * g.dilation
                                    if ix < 0 || ix >= g.width { continue }
                                    let x = input[((n * g.inChannels + channel) * g.height + iy) * g.width + ix]
                                    let w = weight[((co * groupIn + ci) * g.kernel + ky) * g.kernel + kx]
                                    total += Double(x) * Double(w)
                                }
                            }
                        }
                        output[((n * g.outChannels + co) * g.outHeight + oy) * g.outWidth + ox] = Float(total)
                    }
                }
            }
        }
    }
}
