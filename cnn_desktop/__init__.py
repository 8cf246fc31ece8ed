"""cnn-desktop: learn and use convolutional neural networks by drawing."""

__version__ = "0.1.0"
