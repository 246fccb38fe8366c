import Platform

/// Why a safetensors file was rejected, in words that name the problem.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "safetensors: \(message)" }
}

/// One tensor's header entry.
public struct SafeTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: String
    public let shape: [Int]
    /// Byte range within the data section (after the header).
    public let dataOffsets: Range<Int>
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A parsed safetensors file (https://github.com/huggingface/safetensors format):
/// u64 little-endian header length, JSON header, then the raw little-endian tensor bytes.
/// Validation follows the reference implementation: sizes must match dtype x shape and the
/// tensors must tile the data section exactly.
public struct SafeTensorsFile: Sendable {
    public let metadata: [String: String]
    /// Tensors in data order.
    public let tensors: [SafeTensorInfo]
    private let bytes: [UInt8]
    private let dataStart: Int
    private static let maximumHeader = 100_000_000

    static let elementSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "U16": 2, "I16": 2, "F16": 2, "BF16": 2,
        "U32": 4, "I32": 4, "F32": 4, "U64": 8, "I64": 8, "F64": 8,
    ]

    public static func read(path: String) throws -> SafeTensorsFile {
        let bytes = try FileIO.readAll(path)
        do { return try SafeTensorsFile(bytes: bytes) } catch { throw SafeTensorsError("\(path): \(error.message)") }
    }

    public init(bytes: [UInt8]) throws(SafeTensorsError) {
        guard bytes.count >= 8 else { throw SafeTensorsError("file truncated: \(bytes.count) bytes, shorter than the 8-byte header length") }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(Self.maximumHeader) else { throw SafeTensorsError("header length \(length) exceeds the 100 MB limit (not a safetensors file?)") }
        let headerEnd = 8 + Int(length)
        guard headerEnd <= bytes.count else {
            throw SafeTensorsError("file truncated: header claims \(length) bytes but only \(bytes.count - 8) follow")
        }
        guard length >= 2, bytes[8] == UInt8(ascii: "{") else { throw SafeTensorsError("header does not start with '{'") }
        let header: JSONValue
        do { header = try JSONValue.parse(bytes[8..<headerEnd]) } catch { throw SafeTensorsError("header is not valid JSON: \(error)") }
        guard case .object(let members) = header else { throw SafeTensorsError("header is not a JSON object") }

        var metadata = [String: String]()
        var tensors = [SafeTensorInfo]()
        var names = Set<String>()
        let dataLength = bytes.count - headerEnd
        for (name, value) in members {
            guard names.insert(name).inserted else { throw SafeTensorsError("duplicate entry \"\(name)\" in header") }
            if name == "__metadata__" {
                guard case .object(let pairs) = value else { throw SafeTensorsError("__metadata__ is not an object") }
                for (key, item) in pairs {
                    guard case .string(let text) = item else { throw SafeTensorsError("__metadata__ value for \"\(key)\" is not a string") }
                    metadata[key] = text
                }
                continue
            }
            tensors.append(try Self.tensorInfo(name, value, dataLength: dataLength))
        }
        tensors.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound) }
        var expected = 0
        for tensor in tensors {
            guard tensor.dataOffsets.lowerBound == expected else {
                throw SafeTensorsError(tensor.dataOffsets.lowerBound < expected
                    ? "tensor \"\(tensor.name)\" overlaps the previous tensor's data"
                    : "gap in data before tensor \"\(tensor.name)\" (bytes \(expected)..<\(tensor.dataOffsets.lowerBound) unused)")
            }
            expected = tensor.dataOffsets.upperBound
        }
        guard expected == dataLength else {
            throw SafeTensorsError(expected < dataLength
                ? "\(dataLength - expected) trailing bytes after the last tensor"
                : "file truncated: tensors need \(expected) data bytes, file has \(dataLength)")
        }
        self.metadata = metadata
        self.tensors = tensors
        self.bytes = bytes
        dataStart = headerEnd
    }

    private static func tensorInfo(_ name: String, _ value: JSONValue, dataLength: Int) throws(SafeTensorsError) -> SafeTensorInfo {
        guard case .object(let fields) = value else { throw SafeTensorsError("entry \"\(name)\" is not an object") }
        func field(_ key: String) throws(SafeTensorsError) -> JSONValue {
            guard let found = fields.first(where: { $0.0 == key }) else { throw SafeTensorsError("tensor \"\(name)\" has no \(key)") }
            return found.1
        }
        func integers(_ key: String) throws(SafeTensorsError) -> [Int] {
            guard case .array(let items) = try field(key) else { throw SafeTensorsError("tensor \"\(name)\": \(key) is not an array") }
            var result = [Int]()
            for item in items {
                guard case .number(let text) = item, let number = Int(text), number >= 0 else {
                    throw SafeTensorsError("tensor \"\(name)\": \(key) holds a value that is not a non-negative integer")
                }
                result.append(number)
            }
            return result
        }
        guard case .string(let dtype) = try field("dtype") else { throw SafeTensorsError("tensor \"\(name)\": dtype is not a string") }
        guard let size = elementSizes[dtype] else { throw SafeTensorsError("tensor \"\(name)\": unknown dtype \(dtype)") }
        let shape = try integers("shape")
        let offsets = try integers("data_offsets")
        guard offsets.count == 2, offsets[0] <= offsets[1] else { throw SafeTensorsError("tensor \"\(name)\": data_offsets must be [begin, end] with begin <= end") }
        guard offsets[1] <= dataLength else {
            throw SafeTensorsError("file truncated: tensor \"\(name)\" ends at data byte \(offsets[1]) but the data section has \(dataLength) bytes")
        }
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw SafeTensorsError("tensor \"\(name)\": shape overflows") }
            count = product
        }
        guard count * size == offsets[1] - offsets[0] else {
            throw SafeTensorsError("tensor \"\(name)\": \(dtype) \(shape) needs \(count * size) bytes but data_offsets span \(offsets[1] - offsets[0])")
        }
        return SafeTensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: offsets[0]..<offsets[1])
    }

    public func info(_ name: String) -> SafeTensorInfo? { tensors.first { $0.name == name } }

    private func require(_ name: String) throws(SafeTensorsError) -> SafeTensorInfo {
        guard let info = info(name) else { throw SafeTensorsError("no tensor named \"\(name)\"") }
        return info
    }

    /// Values of a floating-point tensor (F32, F64 narrowed or F16 widened), in row-major order.
    public func floats(_ name: String) throws(SafeTensorsError) -> [Float] {
        let info = try require(name)
        var result = [Float](repeating: 0, count: info.elementCount)
        try result.withUnsafeMutableBufferPointer { (buffer) throws(SafeTensorsError) in
            try copy(info, into: buffer.baseAddress!, count: buffer.count)
        }
        return result
    }

    /// Copies a F32/F64 tensor into `destination`, checking the element count.
    public func copy(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws(SafeTensorsError) {
        try copy(try require(name), into: destination, count: count)
    }

    private func copy(_ info: SafeTensorInfo, into destination: UnsafeMutablePointer<Float>, count: Int) throws(SafeTensorsError) {
        guard info.elementCount == count else { throw SafeTensorsError("tensor \"\(info.name)\" has \(info.elementCount) elements, expected \(count)") }
        let start = dataStart + info.dataOffsets.lowerBound
        switch info.dtype {
        case "F32":
            #if _endian(little)
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(destination).copyMemory(from: raw.baseAddress! + start, byteCount: 4 * count)
            }
            #else
            for i in 0..<count { destination[i] = Float(bitPattern: UInt32(littleEndianBytes: bytes, at: start + 4 * i)) }
            #endif
        case "F64":
            for i in 0..<count { destination[i] = Float(Double(bitPattern: UInt64(littleEndianBytes: bytes, at: start + 8 * i))) }
        case "F16":
            for i in 0..<count { destination[i] = Float(Float16(bitPattern: UInt16(littleEndianBytes: bytes, at: start + 2 * i))) }
        default:
            throw SafeTensorsError("tensor \"\(info.name)\" is \(info.dtype), expected F32, F64 or F16")
        }
    }

    /// The raw little-endian bytes of a tensor (any dtype), for readers of U8 images or F16
    /// data that convert on the fly instead of materialising a Float copy.
    public func withRawData<R>(_ name: String, _ body: (SafeTensorInfo, UnsafeRawBufferPointer) throws -> R) throws -> R {
        let info = try require(name)
        let start = dataStart + info.dataOffsets.lowerBound
        return try bytes.withUnsafeBytes { raw in
            try body(info, UnsafeRawBufferPointer(rebasing: raw[start..<(start + info.dataOffsets.count)]))
        }
    }

    /// Values of an integer tensor (I64, I32, U8), for labels and geometry records.
    public func integers(_ name: String) throws(SafeTensorsError) -> [Int] {
        let info = try require(name)
        let start = dataStart + info.dataOffsets.lowerBound
        switch info.dtype {
        case "I64": return (0..<info.elementCount).map { Int(Int64(bitPattern: UInt64(littleEndianBytes: bytes, at: start + 8 * $0))) }
        case "I32": return (0..<info.elementCount).map { Int(Int32(bitPattern: UInt32(littleEndianBytes: bytes, at: start + 4 * $0))) }
        case "U8": return (0..<info.elementCount).map { Int(bytes[start + $0]) }
        case "I8": return (0..<info.elementCount).map { Int(Int8(bitPattern: bytes[start + $0])) }
        default: throw SafeTensorsError("tensor \"\(info.name)\" is \(info.dtype), expected I64, I32, I8 or U8")
        }
    }
}

/// Builds a safetensors file: tensors in insertion order, header padded with spaces to a
/// multiple of 8 bytes (as the reference writer does) so the data is aligned.
public struct SafeTensorsWriter: Sendable {
    private var entries: [(name: String, dtype: String, shape: [Int], data: [UInt8])] = []
    public var metadata: [String: String] = [:]

    public init() {}

    public mutating func add(_ name: String, shape: [Int], floats: UnsafePointer<Float>) {
        let count = shape.reduce(1, *)
        var data = [UInt8]()
        #if _endian(little)
        data = Array(UnsafeRawBufferPointer(start: floats, count: 4 * count))  // already the file's byte order
        #else
        data.reserveCapacity(4 * count)
        for i in 0..<count { data.appendLittleEndian(floats[i].bitPattern) }
        #endif
        append(name, "F32", shape, data)
    }

    public mutating func add(_ name: String, shape: [Int], floats: [Float]) {
        precondition(floats.count == shape.reduce(1, *), "tensor \(name): \(floats.count) values for shape \(shape)")
        floats.withUnsafeBufferPointer { add(name, shape: shape, floats: $0.baseAddress!) }
    }

    /// Half-precision floats (F16, IEEE binary16): half the disk of F32 for stored features.
    public mutating func add(_ name: String, shape: [Int], halves: [Float16]) {
        precondition(halves.count == shape.reduce(1, *), "tensor \(name): \(halves.count) values for shape \(shape)")
        var data = [UInt8]()
        #if _endian(little)
        data = halves.withUnsafeBytes { Array($0) }
        #else
        data.reserveCapacity(2 * halves.count)
        for value in halves { data.appendLittleEndian(value.bitPattern) }
        #endif
        append(name, "F16", shape, data)
    }

    /// Bytes (U8), e.g. gray pixels.
    public mutating func add(_ name: String, shape: [Int], bytes: [UInt8]) {
        precondition(bytes.count == shape.reduce(1, *), "tensor \(name): \(bytes.count) values for shape \(shape)")
        append(name, "U8", shape, bytes)
    }

    public mutating func add(_ name: String, shape: [Int], integers: [Int]) {
        precondition(integers.count == shape.reduce(1, *), "tensor \(name): \(integers.count) values for shape \(shape)")
        var data = [UInt8]()
        for value in integers { data.appendLittleEndian(UInt64(bitPattern: Int64(value))) }
        append(name, "I64", shape, data)
    }

    /// An I8 tensor (int8 weights of a quantised bundle).
    public mutating func add(_ name: String, shape: [Int], int8s: [Int8]) {
        precondition(int8s.count == shape.reduce(1, *), "tensor \(name): \(int8s.count) values for shape \(shape)")
        append(name, "I8", shape, int8s.map { UInt8(bitPattern: $0) })
    }

    /// An I32 tensor (int32 biases of a quantised bundle).
    public mutating func add(_ name: String, shape: [Int], int32s: [Int32]) {
        precondition(int32s.count == shape.reduce(1, *), "tensor \(name): \(int32s.count) values for shape \(shape)")
        var data = [UInt8]()
        data.reserveCapacity(4 * int32s.count)
        for value in int32s { data.appendLittleEndian(UInt32(bitPattern: value)) }
        append(name, "I32", shape, data)
    }

    private mutating func append(_ name: String, _ dtype: String, _ shape: [Int], _ data: [UInt8]) {
        precondition(name != "__metadata__" && !entries.contains { $0.name == name }, "duplicate or reserved tensor name \(name)")
        entries.append((name, dtype, shape, data))
    }

    public func encode() -> [UInt8] {
        var members = [(String, JSONValue)]()
        if !metadata.isEmpty {
            members.append(("__metadata__", .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        var offset = 0
        for entry in entries {
            members.append((entry.name, .object([
                ("dtype", .string(entry.dtype)),
                ("shape", .array(entry.shape.map { .number(String($0)) })),
                ("data_offsets", .array([.number(String(offset)), .number(String(offset + entry.data.count))])),
            ])))
            offset += entry.data.count
        }
        var header = Array(JSONValue.object(members).serialised.utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var bytes = [UInt8]()
        bytes.reserveCapacity(8 + header.count + offset)
        bytes.appendLittleEndian(UInt64(header.count))
        bytes += header
        for entry in entries { bytes += entry.data }
        return bytes
    }

    /// Writes via temporary file + fsync + rename, so readers never see half a file.
    public func write(path: String) throws {
        try FileIO.writeAtomically(path, encode())
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        var v = value.littleEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }
}

extension FixedWidthInteger {
    init(littleEndianBytes bytes: [UInt8], at offset: Int) {
        var value: Self = 0
        for i in 0..<(Self.bitWidth / 8) { value |= Self(truncatingIfNeeded: bytes[offset + i]) << (8 * i) }
        self = value
    }
}
