import NeuralCore

/// safetensors: model weights and training checkpoints; every tensor read back as floats.
@Sendable func fuzzSafeTensors(_ bytes: [UInt8]) {
    guard let file = try? SafeTensorsFile(bytes: bytes) else { return }
    for tensor in file.tensors.prefix(8) {
        _ = try? file.floats(tensor.name)
        _ = try? file.integers(tensor.name)
    }
}
