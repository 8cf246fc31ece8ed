"""See inside the network: receptive fields, the convolution step by step, heat maps of what it looks
at, the collection's mistakes, and the training timeline. Views only: every number comes from the
engine's messages or from numpy helpers in ``cnn_desktop.core`` (walkthrough, receptive_fields, confidence)."""
