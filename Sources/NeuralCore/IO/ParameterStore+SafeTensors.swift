extension ParameterStore {
    /// Adds every parameter and buffer under its name (PyTorch-style state dict).
    public func add(to writer: inout SafeTensorsWriter, prefix: String = "") {
        for entry in entries { writer.add(prefix + entry.name, shape: entry.shape, floats: pointer(entry)) }
    }

    /// Weights file: the state dict alone.
    public func saveWeights(path: String, metadata: [String: String] = [:]) throws {
        var writer = SafeTensorsWriter()
        writer.metadata = metadata
        add(to: &writer)
        try writer.write(path: path)
    }

    /// Loads every entry by name, checking shapes; a missing or mis-shaped tensor is an error.
    public func load(from file: SafeTensorsFile, prefix: String = "") throws(SafeTensorsError) {
        for entry in entries {
            let name = prefix + entry.name
            guard let info = file.info(name) else { throw SafeTensorsError("missing tensor \"\(name)\"") }
            guard info.shape == entry.shape else {
                throw SafeTensorsError("tensor \"\(name)\" has shape \(info.shape), model expects \(entry.shape)")
            }
            try file.copy(name, into: pointer(entry), count: entry.count)
        }
    }

    public func loadWeights(path: String) throws {
        try load(from: SafeTensorsFile.read(path: path))
    }
}
