"""The network: its description as data (spec), its geometry, the torch module, and model files."""
