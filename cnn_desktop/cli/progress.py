"""Progress on the terminal, drawn by tqdm.

tqdm is the well-kept library for this: it redraws one line at a bounded rate, sizes it to the
terminal, estimates time left, and turns itself off when stderr is a file or a pipe (``disable=None``),
which is where the plain per-epoch lines remain for logs.
"""

from __future__ import annotations

import sys

from tqdm import tqdm

from cnn_desktop.core.training.progress import EpochInfo, StepInfo

# tqdm's default bar is as wide as the terminal; a fixed width keeps the figures after it in view.
BAR_FORMAT = "{desc} {percentage:3.0f}%|{bar:24}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}{postfix}]"


class TrainingProgress:
    """A bar per epoch while training, then one line per epoch that stays on screen (and in logs)."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs
        self._bar: tqdm | None = None
        self._previous_seconds = 0.0

    def epochs_changed(self, config):
        """The run's settings were chosen after the drawings were read: count epochs by them."""
        self.epochs = config.epochs
        return config

    def preprocessing(self, done: int, total: int) -> None:
        """Called by the data loader as it preprocesses: ``done`` of ``total`` images."""
        if self._bar is None:
            self._bar = _bar(total, "preprocessing", unit="img")
        self._bar.update(done - self._bar.n)
        if done >= total:
            self._close_bar()

    def step(self, info: StepInfo) -> None:
        if self._bar is None:
            self._bar = _bar(info.steps_per_epoch, f"epoch {info.epoch}/{self.epochs}", unit="step")
        within = (info.step - 1) % info.steps_per_epoch + 1
        self._bar.update(within - self._bar.n)
        self._bar.set_postfix_str(f"loss {info.loss:.4f}, acc {info.accuracy:.3f}, "
                                  f"{info.samples_per_second:,.0f} samples/s", refresh=False)

    def epoch(self, info: EpochInfo) -> None:
        self._close_bar()
        took = info.seconds - self._previous_seconds
        self._previous_seconds = info.seconds
        val = (f"  val_loss {info.val_loss:.4f}  val_acc {info.val_accuracy:.4f}"
               if info.val_accuracy is not None else "")
        print(f"epoch {info.epoch}/{self.epochs}  loss {info.train_loss:.4f}  acc {info.train_accuracy:.4f}{val}"
              f"  {took:.1f} s this epoch, {info.seconds:.1f} s since the start", file=sys.stderr, flush=True)

    def close(self) -> None:
        self._close_bar()

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def counting_bar(total: int, description: str, unit: str = "img") -> tqdm:
    """A bar counting ``total`` items (images read, drawings stored); gone from the screen when closed."""
    return _bar(total, description, unit=unit)


def _bar(total: int, description: str, **options) -> tqdm:
    return tqdm(total=total, desc=description, file=sys.stderr, disable=None, leave=False,
                bar_format=BAR_FORMAT, mininterval=0.1, dynamic_ncols=True, **options)


class DownloadProgress:
    """One bar per file fetched (bytes, rate, time left), kept on screen when the file is done."""

    def __init__(self) -> None:
        self._bars: dict[str, tqdm] = {}

    def update(self, name: str, done: int, total: int | None) -> None:
        bar = self._bars.get(name)
        if bar is None:
            bar = self._bars[name] = tqdm(total=total, desc=name, file=sys.stderr, disable=None, leave=True,
                                          unit="B", unit_scale=True, unit_divisor=1024, mininterval=0.1,
                                          dynamic_ncols=True)
        if total is not None and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)  # a restarted transfer counts down to 0 again
        if total is not None and done >= total:
            bar.close()

    def __enter__(self) -> "DownloadProgress":
        return self

    def __exit__(self, *exc_info) -> None:
        for bar in self._bars.values():
            bar.close()
