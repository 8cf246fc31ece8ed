"""The project's Adam and SGD follow torch.optim step for step, with a changing learning rate too."""

import subprocess
import sys

import pytest
import torch

from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.training.optim import Adam, SGDMomentum
from cnn_desktop.core.data.classes import TICK_CROSS_CLASSES
from cnn_desktop.core.network.spec import lenet_spec


def _train_pair(ours_factory, reference_factory, steps=25, channels_last=False):
    torch.manual_seed(0)
    ours, reference = build_model(lenet_spec(TICK_CROSS_CLASSES), seed=3), build_model(lenet_spec(TICK_CROSS_CLASSES), seed=3)
    if channels_last:  # both: a different memory layout changes the convolutions' rounding
        ours, reference = (m.to(memory_format=torch.channels_last) for m in (ours, reference))
    optimisers = ours_factory(ours.parameters()), reference_factory(reference.parameters())
    generator = torch.Generator().manual_seed(1)
    for step in range(steps):
        x = torch.rand(8, 1, 28, 28, generator=generator)
        y = torch.randint(0, 2, (8,), generator=generator)
        for model, optimiser in zip((ours, reference), optimisers):
            model.eval()  # no dropout: both see exactly the same computation
            optimiser.param_groups[0]["lr"] *= 0.97  # a schedule changes the rate between steps
            optimiser.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimiser.step()
    return ours, reference


@pytest.mark.parametrize("weight_decay", [0.0, 1e-3])
@pytest.mark.parametrize("channels_last", [False, True])
def test_adam_matches_torch(weight_decay, channels_last):
    ours, reference = _train_pair(lambda p: Adam(p, 2e-3, weight_decay),
                                  lambda p: torch.optim.Adam(p, lr=2e-3, weight_decay=weight_decay),
                                  channels_last=channels_last)
    initial = build_model(lenet_spec(TICK_CROSS_CLASSES), seed=3).state_dict()
    for (name, a), b in zip(ours.state_dict().items(), reference.state_dict().values()):
        assert not torch.equal(a, initial[name])  # it did train
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6, msg=name)


@pytest.mark.parametrize("weight_decay", [0.0, 1e-3])
def test_sgd_with_momentum_matches_torch(weight_decay):
    ours, reference = _train_pair(lambda p: SGDMomentum(p, 0.05, 0.9, weight_decay),
                                  lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=weight_decay))
    for (name, a), b in zip(ours.state_dict().items(), reference.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6, msg=name)


def test_a_parameter_without_gradient_is_left_alone():
    used, unused = torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(3))
    for optimiser in (Adam([used, unused], 0.1), SGDMomentum([used, unused], 0.1)):
        (used * torch.arange(3.0)).sum().backward()
        optimiser.step()
        assert torch.equal(unused, torch.ones(3)) and not torch.equal(used, torch.ones(3))
        used.grad = None


def test_using_them_does_not_import_torch_dynamo():
    """torch.optim imports torch._dynamo (about a second) the first time it is used; these must not."""
    code = (
        "import sys, torch\n"
        "from cnn_desktop.core.training.optim import Adam, SGDMomentum\n"
        "p = torch.nn.Parameter(torch.ones(2))\n"
        "for o in (Adam([p]), SGDMomentum([p], 0.1)):\n"
        "    o.zero_grad(); (p * p).sum().backward(); o.step()\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
