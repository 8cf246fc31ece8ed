"""Receptive fields back on the drawing, unit descriptions, "not sure", heat-map upsampling."""

import numpy as np
import pytest

from cnn_desktop.core.inspection.receptive_fields import describe_unit, input_box_to_drawing, inverse_affine, unit_index

from cnn_desktop.core.inspection.confidence import headline, verdict

from cnn_desktop.core.inspection.saliency import heatmap_upsample_matrix
from cnn_desktop.core.network.geometry import layer_geometry
from cnn_desktop.core.data.preprocess import preprocess_with_transform
from cnn_desktop.core.network.spec import lenet_spec
from cnn_desktop.core.data.strokes import Strokes

SPEC = lenet_spec()


def test_an_input_box_maps_back_onto_the_drawing():
    strokes = Strokes.from_points([[(100, 100), (300, 500)]])
    prepared = preprocess_with_transform(strokes)
    np.testing.assert_allclose(inverse_affine(prepared.to_input), prepared.to_drawing)
    x0, y0, x1, y1 = input_box_to_drawing(prepared.to_input, (0, 0, 27, 27))
    assert x0 < 100 and y0 < 100 and x1 > 300 and y1 > 500  # the whole field holds the whole drawing
    # A one-pixel box maps to a drawing rectangle whose image is exactly that pixel.
    x0, y0, x1, y1 = input_box_to_drawing(prepared.to_input, (10, 12, 10, 12))
    a = prepared.to_input
    assert a[0, 0] * x0 + a[0, 2] == pytest.approx(12) and a[1, 1] * y1 + a[1, 2] == pytest.approx(11)


def test_unit_descriptions_name_value_field_and_kernel():
    conv2 = np.arange(32 * 10 * 10, dtype=np.float32).reshape(32, 10, 10) / 100
    info = describe_unit(SPEC, "conv2", conv2, 5, 3, 4)
    assert info.box == (4, 6, 17, 19) and info.kernel_layer == "conv2" and info.kernel_shape == (16, 5, 5)
    assert info.text == f"conv2 map 5 unit (3, 4) = {conv2[5, 3, 4]:.3g} · sees input rows 4-17, cols 6-19 · kernel 16×5×5"
    pool1 = describe_unit(SPEC, "pool1", np.ones((16, 14, 14)), 2, 0, 0)
    assert pool1.box == (0, 0, 3, 3) and pool1.kernel_layer == "conv1" and "kernel of conv1 1×5×5" in pool1.text
    assert "max of a 2×2 window" in pool1.text
    out = describe_unit(SPEC, "out", np.linspace(-1, 1, 10), 0, 0, 7)
    assert out.index == (7,) and "out class 7" in out.text and "whole 28×28 input" in out.text
    fc1 = describe_unit(SPEC, "fc1", np.arange(64.0), 0, 2, 3)  # strips of 16 columns
    assert fc1.index == (35,) and fc1.value == 35.0
    assert unit_index(np.arange(64.0), 0, 4, 0) is None  # past the end of the strip


def test_not_sure_below_the_threshold():
    classes = tuple("0123456789")
    p = np.full(10, 0.55 / 9)
    p[7] = 0.45
    assert headline(classes, p) == "Not sure — maybe 7 (45%)"
    assert headline(classes, p, threshold=0.4) == "Guess: 7  (45%)"
    assert verdict(p, 0.45).sure and not verdict(p, 0.46).sure


def test_heatmap_upsampling_puts_each_unit_at_its_field_centre():
    geo = {g.name: g for g in layer_geometry(SPEC)}["relu2"]  # 10x10, field 14, jump 2, pad 2: centres 5, 7, ...
    up = heatmap_upsample_matrix(geo, 28)
    assert up.shape == (28, 10) and np.allclose(up.sum(axis=1), 1)
    one = np.zeros((10, 10))
    one[0, 9] = 1.0
    heat = up @ one @ up.T
    assert heat[:5, 23:].min() == 1.0  # beyond the first/last centre: the nearest unit's value
    assert heat[5, 22] == pytest.approx(0.75 * 0.75)  # centre 5.5 is a quarter from 5 to 7; 22.5 three quarters from 21 to 23
