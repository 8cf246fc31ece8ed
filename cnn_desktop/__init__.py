"""cnn-desktop: learn and use convolutional neural networks by drawing.

The Python API (``load_model``, ``preprocess_image``, ``Prediction``; see ``cnn_desktop/api.py``) is
imported on first use, not here: ``import cnn_desktop`` stays light (no torch) so that the window and
the command line start fast.
"""

__version__ = "0.1.0"

__all__ = ["load_model", "preprocess_image", "Model", "Prediction", "__version__"]
_API = {"load_model", "preprocess_image", "Model", "Prediction"}


def __getattr__(name: str):
    if name in _API:
        from cnn_desktop import api

        return getattr(api, name)
    raise AttributeError(f"module 'cnn_desktop' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _API)
