"""Regenerate the "See inside" screenshots in docs/ from a real window (run under an X server, e.g. Xvfb).

    Xvfb :88 -screen 0 1280x800x24 &
    DISPLAY=:88 QT_QPA_PLATFORM=xcb python docs/make_screenshots_inside.py [--resources DIR] [--mnist DIR]

It uses a throwaway data folder, draws with real X mouse events (xdotool) and points at a feature map
with the real pointer, then saves docs/inside-*.png. The bundled models (cnn_desktop/resources/models) are
used (or those under ``--resources DIR/models``), so the pictures show a trained network on a freshly drawn
digit. ``--mnist`` (default ../shared/data/mnist) provides digits for the "Mistakes" picture, a few of
them deliberately given a wrong label, as a person might. Nothing here runs in the tests.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtWidgets import QApplication

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
HOME = Path(tempfile.mkdtemp(prefix="cnn-desktop-inside-shots-"))
os.environ["CNN_DESKTOP_HOME"] = str(HOME)

# Hand-drawn digits as canvas fractions, drawn with the real mouse (one list per stroke).
SEVEN = [[(0.30, 0.20), (0.50, 0.20), (0.68, 0.19), (0.60, 0.36), (0.53, 0.53), (0.47, 0.70), (0.44, 0.82)]]
THREE = [[(0.34, 0.22), (0.47, 0.16), (0.61, 0.20), (0.63, 0.32), (0.50, 0.45), (0.62, 0.53), (0.66, 0.66),
          (0.57, 0.79), (0.42, 0.81), (0.33, 0.74)]]
TICK = [[(0.30, 0.52), (0.38, 0.62), (0.45, 0.74), (0.55, 0.58), (0.66, 0.40), (0.74, 0.26)]]
# Candidates for "not sure": shapes between two digits. The first one the network doubts is used.
DOUBTFUL = [
    [[(0.35, 0.25), (0.62, 0.24), (0.62, 0.50), (0.38, 0.52), (0.36, 0.30)], [(0.62, 0.50), (0.56, 0.82)]],
    [[(0.40, 0.20), (0.36, 0.55), (0.62, 0.55)], [(0.58, 0.22), (0.56, 0.80)], [(0.40, 0.20), (0.58, 0.22)]],
    [[(0.30, 0.30), (0.45, 0.20), (0.60, 0.30), (0.45, 0.50), (0.30, 0.70), (0.50, 0.80), (0.70, 0.60)]],
    [[(0.30, 0.50), (0.70, 0.50)], [(0.50, 0.20), (0.50, 0.80)]],
    [[(0.35, 0.30), (0.65, 0.70)], [(0.65, 0.30), (0.35, 0.70)]],
]


def xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True)


def pump(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def wait_until(condition, timeout: float = 30.0, what: str = "") -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError(f"waited {timeout:.0f} s for {what or condition}")
        QApplication.processEvents()
        time.sleep(0.01)


def draw_with_mouse(window, strokes) -> None:
    canvas = window.canvas
    origin = canvas.mapToGlobal(canvas.rect().topLeft())
    w, h = canvas.width(), canvas.height()
    for stroke in strokes:
        coords = [(int(origin.x() + x * w), int(origin.y() + y * h)) for x, y in stroke]
        xdotool("mousemove", *map(str, coords[0]))
        xdotool("mousedown", "1")
        for (x0, y0), (x1, y1) in zip(coords, coords[1:]):
            for t in np.linspace(0, 1, 6)[1:]:  # intermediate moves, like a real hand
                xdotool("mousemove", str(int(x0 + (x1 - x0) * t)), str(int(y0 + (y1 - y0) * t)))
                QApplication.processEvents()
        xdotool("mouseup", "1")
    settle(window)


def settle(window) -> None:
    """Wait until the newest drawing has been answered and the panels have redrawn."""
    wanted = window.session.last_request_id
    wait_until(lambda: window.session.shown_request_id >= wanted, what="the prediction")
    pump(0.4)


def move_pointer_away() -> None:
    xdotool("mousemove", "5", "795")
    pump(0.2)


def point_at_unit(window, layer: str, tile: int, y: int, x: int) -> None:
    """Move the real pointer over unit (y, x) of map ``tile`` of ``layer`` in the network overview,
    with its connections to the layer before shown."""
    overview = window.feature_maps
    overview.connections.setChecked(True)
    left, top, width, height = overview.column(layer).box.unit_rect(tile, y, x, y, x)
    overview.view.ensureVisible(QRectF(left, top, width, height))
    pump(0.3)
    view_point = overview.view.mapFromScene(QPointF(left + width / 2, top + height / 2))
    target = overview.view.viewport().mapToGlobal(view_point)
    xdotool("mousemove", str(target.x() - 3), str(target.y() - 3))
    pump(0.1)
    xdotool("mousemove", str(target.x()), str(target.y()))
    wait_until(lambda: overview.hovered is not None and overview.hovered[0] == layer, what="the hovered unit")
    pump(0.5)


def shot(widget, name: str) -> None:
    pump(0.3)
    path = DOCS / f"inside-{name}.png"
    widget.grab().save(str(path))
    print("saved", path)


def clear(window) -> None:
    window.canvas.clear()
    settle(window)


def strongest_map(prediction, layer: str) -> tuple[int, int, int]:
    """(map, row, col) of the strongest unit of a layer: a unit that clearly sees part of the drawing."""
    maps = prediction.activations[layer]
    index = np.unravel_index(int(np.argmax(maps)), maps.shape)
    return tuple(int(i) for i in index)


def mnist_digits(folder: Path, count: int, seed: int = 3):
    from cnn_desktop.core.data.datasets import preprocess_images
    from cnn_desktop.core.data.readers import read_mnist_folder

    raw, labels = read_mnist_folder(folder)
    pick = np.random.default_rng(seed).choice(len(labels), count, replace=False)
    return preprocess_images(raw[pick]), labels[pick].astype(int)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=Path, default=None, help="folder holding models/*.safetensors")
    parser.add_argument("--mnist", type=Path, default=REPO.parent / "shared" / "data" / "mnist")
    args = parser.parse_args()
    if args.resources is not None:
        os.environ["CNN_DESKTOP_RESOURCES"] = str(args.resources)

    from cnn_desktop.core.tasks import collection_dir
    from cnn_desktop.core.tasks import TASKS
    from cnn_desktop.core.data.store import DrawingStore
    from cnn_desktop.core.data.synth import generate_ticks_crosses
    from cnn_desktop.gui.app import configure_pyqtgraph
    from cnn_desktop.core.inspection.walkthrough_state import CLASSIFIER, CONV
    from cnn_desktop.gui.main_window import MainWindow

    digits = TASKS["digits"]
    if not digits.bundled_model_path().exists():
        print(f"note: no bundled model at {digits.bundled_model_path()}: the pictures will show an untrained network")

    # The collection for "Mistakes": MNIST digits, six of them deliberately mislabelled.
    if args.mnist.exists():
        images, labels = mnist_digits(args.mnist, 240)
        wrong = {0: 8, 1: 3, 2: 1, 3: 5, 4: 9, 5: 0}  # position -> wrong label given
        given = [str(wrong.get(i, label)) for i, label in enumerate(labels)]
        store = DrawingStore(collection_dir(digits, HOME), digits.classes)
        store.add_many((label, image, None) for label, image in zip(given, images))

    app = QApplication(sys.argv)
    configure_pyqtgraph()
    window = MainWindow(home=HOME)
    window.resize(1280, 800)
    window.move(0, 0)
    window.show()
    wait_until(lambda: "Model:" in window.model_label.text(), what="the model")
    pump(1.0)

    # 1. Receptive field: point at a strong conv2 unit of a freshly drawn 7.
    draw_with_mouse(window, SEVEN)
    prediction = window.session.prediction
    tile, y, x = strongest_map(prediction, "conv2")
    point_at_unit(window, "conv2", tile, y, x)
    shot(window, "receptive-field")
    move_pointer_away()

    # 2. What the network looks at: Grad-CAM for its guess, over the canvas and the input view.
    window.inspection.saliency.toggle.setChecked(True)
    wait_until(lambda: window.session.prediction.saliency is not None, what="the heat map")
    pump(0.5)
    shot(window, "saliency")
    window.inspection.saliency.method_box.setCurrentIndex(1)
    wait_until(lambda: window.session.prediction.saliency_method == "gradient-x-input", what="gradient x input")
    pump(0.5)
    shot(window, "saliency-strokes")
    window.inspection.saliency.toggle.setChecked(False)
    pump(0.3)

    # 3. Step through: the conv1 filter that responds most to this drawing, at a window on the ink.
    dialog = window.inspection.open_walkthrough()
    dialog.resize(1140, 720)
    dialog.move(60, 40)
    state = dialog.view.state
    wait_until(lambda: state.walk is not None, what="the walkthrough")
    conv1 = window.session.prediction.activations["conv1"]
    best = int(np.argmax(conv1.reshape(len(conv1), -1).max(axis=1)))
    dialog.view.controls.filter_spin.setValue(best)
    row, col = np.unravel_index(int(np.argmax(conv1[best])), conv1[best].shape)
    state.set_stage(CONV, int(row * conv1.shape[2] + col))
    pump(0.5)
    shot(dialog, "step-through")
    dialog.close()

    # 4. Not sure: a drawing between two digits.
    for strokes in DOUBTFUL:
        clear(window)
        draw_with_mouse(window, strokes)
        if window.session.prediction.probabilities.max() < window.probabilities.threshold:
            break
    else:
        # The bundled model is sure of all of them (90% or more): raise the threshold above its answer,
        # as a person would with the slider under the bars, so that the shot shows the feature.
        top = float(window.session.prediction.probabilities.max())
        window.session.set_threshold(min(0.99, round(top + 0.05, 2)))
        pump(0.3)
    shot(window, "not-sure")
    # ... and the softmax behind that hesitation, step by step.
    dialog = window.inspection.open_walkthrough()
    state = dialog.view.state
    wait_until(lambda: state.walk is not None, what="the walkthrough")
    state.set_stage(CLASSIFIER, state.stage_length(CLASSIFIER) - 1)
    shot(dialog, "step-through-softmax")
    dialog.close()

    # 5. Mistakes: check the collection, open the cell of one mislabelled drawing.
    clear(window)
    window.docks["mistakes"].raise_()
    window.inspection.confusion.check_button.click()
    wait_until(lambda: window.inspection.confusion.table.rowCount() == 10, what="the confusion matrix")
    result = window.inspection.confusion._result
    off = [(int(t), int(g)) for t, g in np.argwhere(result.confusion > 0) if t != g]
    if off:
        true, guess = max(off, key=lambda cell: result.confusion[cell])
        window.inspection.confusion.table.setCurrentCell(true, guess)
        window.inspection.confusion.show_cell(true, guess)
        if window.inspection.confusion.list.count():
            window.inspection.confusion.list.item(0).setSelected(True)
            window.inspection.confusion.relabel_box.setCurrentText(result.classes[guess])
    shot(window, "mistakes")

    # 6. Timeline: train a ticks-and-crosses network from scratch, then scrub back to an early moment.
    window.session.switch_task("ticks-crosses")
    wait_until(lambda: window.worker.engine.model.classes == TASKS["ticks-crosses"].classes, what="ticks mode")
    drawings, labels = generate_ticks_crosses(15, seed=5)
    for strokes, label in zip(drawings, labels):
        window.canvas.set_strokes(strokes)
        window.session.add_drawing(window.session.task.classes[label])
    window.docks["feature_maps"].raise_()
    window.training.from_scratch.setChecked(True)
    window.training.epochs.setValue(30)
    window.training.batch_size.setValue(8)
    draw_with_mouse(window, TICK)
    window.training.start_button.click()
    wait_until(lambda: window.training.state == "finished", timeout=240, what="training")
    pump(1.0)
    timeline = window.inspection.timeline
    timeline.slider.setValue(max(1, timeline.slider.maximum() // 8))
    wait_until(lambda: window.session.prediction.snapshot is not None and window.session.filters.snapshot is not None,
               what="the snapshot")
    pump(0.8)
    shot(window, "timeline")

    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
