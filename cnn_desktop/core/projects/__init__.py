"""Projects: a person's own classes, drawings and model versions in one folder other tools can read.

Qt-free, and a layer of its own above ``tasks`` (the built-in projects are made from the tasks) and
below ``app``. See project.py for the layout on disk and migrate.py for homes made before projects.
"""
