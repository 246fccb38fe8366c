// Placeholder until the neural core lands.
enum NeuralCoreModule {}
