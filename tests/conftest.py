"""Fixtures shared by the core and GUI tests."""

import os
from pathlib import Path

import pytest

from bars import make_bars
from cnn_desktop.core.network.model import configure_torch

# One torch thread for the whole test process. These 2-core machines are shared: with two threads,
# torch's spinning worker threads made training steps 10-50x slower whenever another process wanted a
# core (benchmarks/RESULTS.md), and one file of tests took 80 s instead of 14 s. The tests check results,
# not speed, so nothing is lost. (configure_torch acts once per process; later calls keep this.)
configure_torch(1)

# The device the trainer and engine tests train on: the CPU, or e.g. CNN_DESKTOP_TEST_DEVICE=cuda to run the
# same tests on a GPU (README, Testing). Every Trainer given no device, and every run the engine starts,
# then trains there; the tests that check the device itself take the ``test_device`` fixture.
TEST_DEVICE = os.environ.get("CNN_DESKTOP_TEST_DEVICE", "cpu")

REPO = Path(__file__).resolve().parents[1]
MNIST_DIR = REPO.parent / "shared" / "data" / "mnist"


def pytest_collection_modifyitems(items):
    """Slow tests first. The suite runs on two workers (``-n auto``); a minute-long test collected last
    would leave one worker idle while the other finishes it. Stable sort: the rest keep their order."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _private_data_home(tmp_path_factory, monkeypatch):
    """No test reads or writes the real user-data folder (a developer's drawings, a downloaded MNIST):
    each starts with an empty one of its own. Tests that need a particular home set it again."""
    monkeypatch.setenv("CNN_DESKTOP_HOME", str(tmp_path_factory.mktemp("home")))
    yield
    # A Train writes the inputs cache in a thread of its own (store_inputs.save_later): finished
    # here, it never writes into the next test's folders or races a test that reads the cache.
    from cnn_desktop.core.data.store_inputs import wait_for_saves

    wait_for_saves()


@pytest.fixture
def bars():
    return make_bars(400)


@pytest.fixture
def mnist_dir() -> Path:
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"MNIST test split not found at {MNIST_DIR} (see shared/data/mnist/README.md)")
    return MNIST_DIR


@pytest.fixture
def bars_collection(tmp_path):
    """A drawing collection on disk holding 60 horizontal and 60 vertical bars (classes "tick", "cross"
    stand in for them so the ticks-and-crosses network and mode can train on it)."""
    from cnn_desktop.core.data.store import DrawingStore

    images, labels = make_bars(120, seed=3)
    store = DrawingStore(tmp_path / "collection", ("tick", "cross"))
    store.add_many((("tick", "cross")[label], image, None) for image, label in zip(images, labels))
    return store.root


@pytest.fixture
def test_device() -> str:
    """The device asked for by CNN_DESKTOP_TEST_DEVICE ("cpu" when unset); skips when it is not here."""
    from cnn_desktop.core.training.device import DeviceError, choose_device

    try:
        choose_device(TEST_DEVICE)
    except DeviceError as error:
        pytest.skip(str(error))
    return TEST_DEVICE


@pytest.fixture(autouse=True)
def _training_device(monkeypatch):
    """With CNN_DESKTOP_TEST_DEVICE set, every training of the tests runs on that device: the Trainer's
    default, and the device the engine resolves for any StartTraining (its default is the CPU)."""
    if TEST_DEVICE == "cpu":
        return
    from cnn_desktop.core.app import engine
    from cnn_desktop.core.training import device, trainer

    monkeypatch.setattr(trainer, "DEFAULT_DEVICE", TEST_DEVICE)
    monkeypatch.setattr(engine, "choose_device", lambda asked, work=0: device.choose_device(
        TEST_DEVICE if asked == "cpu" else asked, work))
