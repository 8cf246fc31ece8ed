"""``python -m cnn_desktop`` behaves exactly like the ``cnn-desktop`` command."""

import sys

from cnn_desktop.cli import main

sys.exit(main())
