// The generator lives in Platform because the phantom generator draws from it too; layers,
// training and task heads reach it through NeuralCore as before.
@_exported import struct Platform.RandomSource
