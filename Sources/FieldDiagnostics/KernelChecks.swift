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

    /// HOOK for the int8 kernel library (being written on another branch): when it lands,
    /// return a check naming the kernel chosen for this CPU (e.g. AVX-512 VNNI, AVX2, NEON
    /// dot-product, scalar) and the result of its bit-exact self-check against the scalar
    /// reference. Until then the self-test reports that the appliance runs float kernels only.
    public static func int8Kernels() -> Check {
        Check("kernels-int8", .warn, "no int8 kernel library in this build: the model runs float32 (OpenBLAS)",
              remedy: "nothing to do on the box; int8 inference arrives with a software update")
    }
}
