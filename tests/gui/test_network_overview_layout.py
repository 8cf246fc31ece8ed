"""The overview's arithmetic (Qt-free): columns from the spec, sizes that fit, hits that find the unit
drawn there, and what a unit reads in the column before."""

import pytest

from cnn_desktop.core.inspection.presentation import signed_layers
from cnn_desktop.core.network.presets import preset_spec
from cnn_desktop.core.network.spec import lenet_spec
from cnn_desktop.gui.panels.network_overview_layout import best_tile, layout_columns, plan_columns, reads_from


def _plans(spec):
    return plan_columns(spec, signed_layers(spec))


@pytest.mark.parametrize("width,height", [(416, 360), (300, 250), (900, 600)])
def test_every_unit_is_found_where_it_is_drawn(width, height):
    boxes, _ = layout_columns(_plans(lenet_spec()), width, height, top=30)
    for box in boxes:
        for index in range(box.plan.count):
            if box.plan.role in ("input", "maps"):
                last = box.plan.size - 1
                for row, col in ((0, 0), (last, last), (last // 2, 1)):
                    x, y, w, h = box.unit_rect(index, row, col, row, col)
                    assert box.hit(x + w / 2, y + h / 2) == (index, row, col)
            else:
                x, y, w, h = box.cell_rect(index)
                assert box.hit(x + w / 2, y + h / 2) == (index, 0, 0)
        assert box.y >= 30 and box.y + box.height <= 30 + height + 0.01  # never under the titles or cut


def test_the_default_network_fits_the_dock_and_a_deeper_one_scrolls():
    assert best_tile(_plans(lenet_spec()), 416, 360) == (20, True)
    _, width = layout_columns(_plans(lenet_spec()), 416, 360)
    assert width <= 416
    tile, fits = best_tile(_plans(preset_spec("deeper", tuple("0123456789"))), 300, 250)
    assert not fits and tile >= 12  # maps stay readable; the view scrolls sideways instead


def test_what_a_unit_reads_in_the_column_before():
    plans = {plan.name: plan for plan in _plans(lenet_spec())}
    # conv2 (5x5, no padding) reads rows 3-7, cols 4-8 of every one of pool1's 16 maps.
    assert reads_from(plans["conv2"], plans["pool1"], 5, 3, 4) == [(i, 3, 4, 7, 8) for i in range(16)]
    # conv1 pads by 2: its corner unit reads drawing rows 0-2 (the field given), not a window off the edge.
    assert reads_from(plans["conv1"], plans["input"], 0, 0, 0, input_box=(0, 0, 2, 2)) == [(0, 0, 0, 2, 2)]
    assert reads_from(plans["pool2"], plans["relu2"], 7, 2, 3) == [(7, 4, 6, 5, 7)]
    assert reads_from(plans["relu1"], plans["conv1"], 2, 9, 9) == [(2, 9, 9, 9, 9)]
    assert len(reads_from(plans["fc1"], plans["pool2"], 0, 0, 0)) == 32  # every map, whole
    assert reads_from(plans["relu3"], plans["fc1"], 9, 0, 0) == [(9, 0, 0, 0, 0)]
    assert len(reads_from(plans["out"], plans["relu3"], 3, 0, 0)) == 64
