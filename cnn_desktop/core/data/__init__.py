"""Drawings and data sets: strokes, the one preprocessing function, file readers, the collection on
disk, generated drawings and the MNIST download. Imports only the base modules (errors, atomic)."""
