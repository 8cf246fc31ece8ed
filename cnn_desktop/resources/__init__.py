"""Files shipped inside the package: the bundled models and their model cards (``models/``).

They live in the package, not beside it, so that every kind of install (editable, ``pip install .``,
a wheel, pipx) carries them and ``importlib.resources`` finds them without knowing where the package
was installed. See resources/README.md at the top of the repository for why they moved here.
"""
