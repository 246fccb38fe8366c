import Testing
@testable import NeuralCore
@Test func NeuralCoreBuilds() { #expect(Bool(true)) }
