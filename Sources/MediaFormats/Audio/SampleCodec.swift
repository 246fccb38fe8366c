/// Conversion between little-endian PCM/float sample bytes and Float in [-1, 1].
/// Integers scale by 2^(bits-1); encoding rounds to nearest and clips.
enum SampleCodec {
    static func decode(_ source: UnsafeRawPointer, format: WAVSampleFormat, count: Int, into out: UnsafeMutablePointer<Float>) {
        switch format {
        case .int16:
            for i in 0..<count {
                out[i] = Float(Int16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) / 32768
            }
        case .int24:
            let bytes = source.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count {
                let raw = Int32(bytes[3 * i]) | Int32(bytes[3 * i + 1]) << 8 | Int32(bytes[3 * i + 2]) << 16
                out[i] = Float((raw << 8) >> 8) / 8_388_608
            }
        case .int32:
            for i in 0..<count {
                out[i] = Float(Double(Int32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) / 2_147_483_648)
            }
        case .float32:
            for i in 0..<count {
                out[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        case .float64:
            for i in 0..<count {
                out[i] = Float(Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        }
    }

    static func encode(_ input: UnsafePointer<Float>, count: Int, format: WAVSampleFormat, into destination: UnsafeMutableRawPointer) {
        // NaN becomes silence: Int64(NaN) would trap.
        @inline(__always) func quantise(_ x: Float, _ scale: Double, _ lo: Double, _ hi: Double) -> Int64 {
            x.isNaN ? 0 : Int64(min(max((Double(x) * scale).rounded(), lo), hi))
        }
        switch format {
        case .int16:
            for i in 0..<count {
                let v = Int16(quantise(input[i], 32768, -32768, 32767))
                destination.storeBytes(of: v.littleEndian, toByteOffset: 2 * i, as: Int16.self)
            }
        case .int24:
            let bytes = destination.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count {
                let v = Int32(quantise(input[i], 8_388_608, -8_388_608, 8_388_607))
                bytes[3 * i] = UInt8(truncatingIfNeeded: v)
                bytes[3 * i + 1] = UInt8(truncatingIfNeeded: v >> 8)
                bytes[3 * i + 2] = UInt8(truncatingIfNeeded: v >> 16)
            }
        case .int32:
            for i in 0..<count {
                let v = Int32(quantise(input[i], 2_147_483_648, -2_147_483_648, 2_147_483_647))
                destination.storeBytes(of: v.littleEndian, toByteOffset: 4 * i, as: Int32.self)
            }
        case .float32:
            for i in 0..<count {
                destination.storeBytes(of: input[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
        case .float64:
            for i in 0..<count {
                destination.storeBytes(of: Double(input[i]).bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self)
            }
        }
    }
}
