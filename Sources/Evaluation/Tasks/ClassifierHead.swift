import NeuralCore

/// Plane classification head: pooled encoder features [N, C] -> linear -> logits [N, K]
/// -> softmax cross-entropy against the frame's plane label.
public final class ClassifierHead: TaskHead {
    public let store: ParameterStore
    public let classes: Int
    public let channels: Int
    let labels: [Int32]
    let geometry: LinearGeometry
    let logits, logitsGrad, probabilities: UnsafeMutablePointer<Float>
    let batchLabels: UnsafeMutablePointer<Int32>

    /// labels: one per training image (class index).
    public init(channels: Int, classes: Int, batch: Int, labels: [Int32], seed: UInt64) {
        var layout = ParameterLayout()
        _ = layout.parameter("head.weight", [classes, channels])
        _ = layout.parameter("head.bias", [classes])
        store = ParameterStore(layout)
        self.classes = classes
        self.channels = channels
        self.labels = labels
        geometry = LinearGeometry(batch: batch, inFeatures: channels, outFeatures: classes)
        var random = RandomSource(seed: seed ^ 0xC1A5_51F1)
        let bound = 1 / Float(channels).squareRoot()  // PyTorch's default for nn.Linear
        random.fillUniform(store.parameters, count: classes * channels + classes, low: -bound, high: bound)
        logits = .allocate(capacity: batch * classes)
        logitsGrad = .allocate(capacity: batch * classes)
        probabilities = .allocate(capacity: batch * classes)
        batchLabels = .allocate(capacity: batch)
    }

    deinit { logits.deallocate(); logitsGrad.deallocate(); probabilities.deallocate(); batchLabels.deallocate() }

    var weight: UnsafeMutablePointer<Float> { store.parameters }
    var bias: UnsafeMutablePointer<Float> { store.parameters + classes * channels }

    public func trainStep(_ a: ResNeXtActivations, samples: [Int]) -> Float {
        let n = samples.count
        for (slot, sample) in samples.enumerated() { batchLabels[slot] = labels[sample] }
        Linear.forward(output: logits, input: a.pooled.data, weight: weight, bias: bias, geometry: geometry)
        let loss = SoftmaxCrossEntropy.forward(logits: logits, labels: batchLabels, probabilities: probabilities, batch: n, classes: classes)
        logitsGrad.update(repeating: 0, count: n * classes)
        SoftmaxCrossEntropy.backward(logitsGrad: logitsGrad, probabilities: probabilities, labels: batchLabels, batch: n, classes: classes)
        Linear.backward(inputGrad: a.pooledGrad.data, weightGrad: store.gradients, biasGrad: store.gradients + classes * channels,
                        outputGrad: logitsGrad, input: a.pooled.data, weight: weight, geometry: geometry)
        return loss
    }

    /// The predicted class of image `slot` of an inference batch.
    public func predict(_ a: ResNeXtActivations, slot: Int) -> Int {
        let x = a.pooled.data + slot * channels
        var best = 0, bestValue = -Float.infinity
        for k in 0..<classes {
            var v = bias[k]
            for c in 0..<channels { v += weight[k * channels + c] * x[c] }
            if v > bestValue { bestValue = v; best = k }
        }
        return best
    }
}
