"""Accuracy of a ticks-and-crosses model on narrow, tilted crosses alone (issue #17).

    python -m benchmarks.narrow_crosses MODEL [SEED]

500 crosses of ``ticks_crosses.draw_narrow_cross``, each with its own generator seeded from
(SEED, 77, index); SEED 0 would overlap nothing the bundled model trained on either (training draws
crosses from (0, 1, index)), but the card reports seeds 3 and 9.
"""

import sys

import numpy as np

from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.ticks_crosses import CROSS, draw_narrow_cross
from cnn_desktop.core.inspection.evaluation import evaluate_model
from cnn_desktop.core.network.checkpoint import load_model


def main() -> None:
    model = load_model(sys.argv[1]).model
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 9
    images = np.stack([preprocess(draw_narrow_cross(np.random.default_rng([seed, 77, i]))) for i in range(500)])
    report = evaluate_model(model, images, np.full(500, CROSS))
    print(f"narrow tilted crosses, seed {seed}: accuracy {report.accuracy:.4f} n=500")


if __name__ == "__main__":
    main()
