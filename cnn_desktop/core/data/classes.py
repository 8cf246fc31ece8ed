"""The class names of the data the project reads and draws itself: MNIST's digits, and ticks and crosses."""

DIGIT_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))
TICK_CROSS_CLASSES: tuple[str, ...] = ("tick", "cross")
