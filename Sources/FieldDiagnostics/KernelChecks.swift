import CInt8Kernels
import COpenBLAS
import Glibc

/// Which compute kernels this box runs, and whether they compute correctly here.
public enum KernelChecks {
    /// OpenBLAS's core type: the float kernels every convolution and linear layer go through.
    /// Generic SSE kernels mean OpenBLAS did not recognise the CPU (0.3.21 on recent Xeons).
    public static func openBLASCore() -> Check {
        let core = String(cString: openblas_get_corename())
        let forced = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        let threads = Int(openblas_get_num_threads())
        let detail = "OpenBLAS core \(core)" + (forced.map { " (OPENBLAS_CORETYPE=\($0))" } ?? " (detected)") + ", \(threads) thread(s)"
        if ["Prescott", "Core2", "Nehalem", "Atom", "generic"].contains(core) {
            return Check("kernels-float", .warn, detail,
                         remedy: "generic kernels: set OPENBLAS_CORETYPE (Haswell on AVX2 x86, as the systemd unit does; see board/<name>/)")
        }
        return Check("kernels-float", .pass, detail)
    }

    /// sgemm on a small problem against a naive triple loop in double precision: a broken
    /// library build or a CPU that misexecutes the chosen kernel shows here.
    public static func sgemmSelfCheck(m: Int = 37, n: Int = 29, k: Int = 53) -> Check {
        var a = [Float](repeating: 0, count: m * k), b = [Float](repeating: 0, count: k * n)
        var state: UInt32 = 12345
        func next() -> Float { state = state &* 1_664_525 &+ 1_013_904_223; return Float(Int32(bitPattern: state >> 8) % 2001 - 1000) / 1000 }
        for i in a.indices { a[i] = next() }
        for i in b.indices { b[i] = next() }
        var c = [Float](repeating: 0, count: m * n)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n), 0, &c, Int32(n))
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var reference = 0.0
                for p in 0..<k { reference += Double(a[i * k + p]) * Double(b[p * n + j]) }
                worst = max(worst, abs(reference - Double(c[i * n + j])))
            }
        }
        let detail = "sgemm \(m)x\(n)x\(k) against a naive reference: max error \(worst)"
        if !(worst <= 1e-3) {
            return Check("kernels-selfcheck", .fail, detail, remedy: "the float kernels compute wrong results on this CPU: try OPENBLAS_CORETYPE=Haswell or a reinstall of libopenblas0")
        }
        return Check("kernels-selfcheck", .pass, detail)
    }

    /// The int8 kernel family the engine runs on this CPU (the best it supports, as at model
    /// load) and a bit-exact check of it against the scalar reference: grouped, strided and
    /// 1x1 convolutions (with fused ReLU) on fixed pseudo-random data. A family that differs
    /// in one byte computes wrong heatmaps on this box.
    public static func int8Kernels() -> Check {
        let family = st_q8_best_family()
        let name = String(cString: st_q8_family_name(family))
        let geometries = [
            st_q8_conv_geometry(height: 9, width: 11, in_channels: 16, out_channels: 16, kernel: 3, stride: 1, padding: 1, dilation: 1,
                                groups: 8, input_zero_point: -3, output_zero_point: -128, output_min: -128, output_max: 127),
            st_q8_conv_geometry(height: 13, width: 7, in_channels: 1, out_channels: 8, kernel: 7, stride: 2, padding: 3, dilation: 1,
                                groups: 1, input_zero_point: -77, output_zero_point: 5, output_min: 5, output_max: 127),
            st_q8_conv_geometry(height: 5, width: 6, in_channels: 32, out_channels: 24, kernel: 1, stride: 1, padding: 0, dilation: 1,
                                groups: 1, input_zero_point: 11, output_zero_point: -9, output_min: -128, output_max: 127),
        ]
        var state: UInt32 = 2_463_534_242
        func next() -> Int32 { state ^= state << 13; state ^= state >> 17; state ^= state << 5; return Int32(bitPattern: state) }
        var outputs = 0
        for var g in geometries {
            let input = (0..<Int(g.height * g.width * g.in_channels)).map { _ in Int8(truncatingIfNeeded: next()) }
            let weights = (0..<Int(g.out_channels * g.kernel * g.kernel * (g.in_channels / g.groups))).map { _ in Int8(next() % 128) }
            let bias = (0..<Int(g.out_channels)).map { _ in next() % 4_000 }
            let multipliers = (0..<Int(g.out_channels)).map { _ in Float(abs(next() % 1_000) + 1) * 2e-5 }
            let count = Int(st_q8_conv_out_height(&g) * st_q8_conv_out_width(&g) * g.out_channels)
            var expected = [Int8](repeating: 0, count: count), got = [Int8](repeating: 1, count: count)
            st_q8_conv_reference(&g, weights, bias, multipliers, input, &expected)
            let packed = UnsafeMutableRawPointer.allocate(byteCount: st_q8_conv_packed_size(&g, family), alignment: 64)
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(st_q8_conv_scratch_size(&g, family), 1), alignment: 64)
            defer { packed.deallocate(); scratch.deallocate() }
            st_q8_conv_pack(&g, family, weights, bias, multipliers, packed)
            st_q8_conv_run(&g, packed, input, &got, 0, st_q8_conv_out_height(&g) * st_q8_conv_out_width(&g), scratch)
            if got != expected {
                let differing = zip(got, expected).filter { $0 != $1 }.count
                return Check("kernels-int8", .fail,
                             "\(name): a \(g.kernel)x\(g.kernel) convolution (groups \(g.groups)) differs from the scalar reference in \(differing) of \(count) outputs",
                             remedy: "the int8 kernels compute wrong results on this CPU: report it with a support bundle; a float32 model bundle avoids them")
            }
            outputs += count
        }
        return Check("kernels-int8", .pass, "\(name) (best of this CPU's int8 families): 3 convolutions bit-exact against the scalar reference (\(outputs) outputs)")
    }
}
