"""Benchmarks: this engine side by side with micrograd and PyTorch scalar tensors (``python -m benchmarks``)."""
