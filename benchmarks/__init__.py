"""Performance benchmarks of cnn-desktop: ``python -m benchmarks [--quick] [--only NAME]``."""
