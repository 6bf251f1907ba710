"""E_A's memory-efficient attention against a materialised softmax over all K x h x w positions."""

import pytest
import torch

from vid2vid.models.attention import AttentionNetwork, attend
from vid2vid.models.config import generator_preset


pytestmark = pytest.mark.usefixtures("one_thread")


def naive(query, keys, values):
    b, d, h, w = query.shape
    k = keys.shape[1]
    q = query.flatten(2).transpose(1, 2)  # (B, hw, D)
    key = keys.permute(0, 1, 3, 4, 2).reshape(b, -1, d)  # (B, K*m, D)
    weights = torch.softmax(q @ key.transpose(1, 2) / d ** 0.5, dim=2)  # (B, hw, K*m): softmax over all positions
    out = [(weights @ v.permute(0, 1, 3, 4, 2).reshape(b, -1, v.shape[2])).transpose(1, 2).reshape(b, -1, h, w)
           for v in values]
    mass = weights.view(b, h * w, k, -1).sum(3).transpose(1, 2).reshape(b, k, h, w)
    return out, mass, weights


@pytest.mark.parametrize("k", [1, 2, 4])
@pytest.mark.parametrize("channels", [(8, 8), (16, 5)])
def test_attend_matches_materialised_softmax(k, channels):
    torch.manual_seed(k)
    b, d, h, w = 2, 12, 5, 6
    query = torch.randn(b, d, h, w)
    keys = torch.randn(b, k, d, h, w)
    values = [torch.randn(b, k, c, h, w) for c in channels]
    out, mass = attend(query, keys, values)
    ref_out, ref_mass, weights = naive(query, keys, values)
    for got, ref in zip(out, ref_out):
        assert got.shape == ref.shape and torch.allclose(got, ref, atol=1e-5)
    assert torch.allclose(mass, ref_mass, atol=1e-5)
    # attention weights sum to 1 over examples and positions, for every query position
    assert torch.allclose(weights.sum(2), torch.ones(b, h * w), atol=1e-5)
    assert torch.allclose(mass.sum(1), torch.ones(b, h, w), atol=1e-5)


def test_attend_gradients_match():
    torch.manual_seed(0)
    query = torch.randn(1, 8, 4, 4, requires_grad=True)
    keys = torch.randn(1, 2, 8, 4, 4, requires_grad=True)
    value = torch.randn(1, 2, 8, 4, 4, requires_grad=True)
    (out,), _ = attend(query, keys, [value])
    grads = torch.autograd.grad(out.square().sum(), (query, keys, value))
    (ref,), _, _ = naive(query, keys, [value])
    ref_grads = torch.autograd.grad(ref.square().sum(), (query, keys, value))
    for g, r in zip(grads, ref_grads):
        assert torch.allclose(g, r, atol=1e-4)


@pytest.mark.parametrize("coords", [False, True])
def test_attention_coords_let_keys_tell_places_of_one_class_apart(coords):
    # A uniform semantic map: without coordinates the convs are translation invariant, so every interior position
    # gets the same key and a query cannot prefer a place; with them the keys differ by place.
    torch.manual_seed(0)
    cfg = generator_preset("tiny", 3, attention_coords=coords)
    net = AttentionNetwork(cfg).eval()
    keys = net.keys_of(torch.ones(1, 3, 32, 32))
    interior = keys[0, :, 1:-1, 1:-1].flatten(1)  # away from the zero padding
    spread = (interior - interior[:, :1]).abs().max()
    assert (spread > 1e-3) == coords
    assert net.query_of(torch.ones(2, 3, 32, 32)).shape == (2, keys.shape[1], *keys.shape[2:])


@pytest.mark.parametrize("strength", [0.0, 8.0])
def test_attention_classes_make_a_query_take_its_own_class(strength):
    # The example is half class 0, half class 1; the query all class 1. With the bias (and random, untrained
    # encoders) nearly all attention goes to the class-1 half; without it the random scores split it.
    torch.manual_seed(0)
    cfg = generator_preset("tiny", 2, attention_classes=strength)
    net = AttentionNetwork(cfg).eval()
    example = torch.zeros(1, 2, 32, 32)
    example[:, 0, :, :16], example[:, 1, :, 16:] = 1, 1
    target = torch.zeros(1, 2, 32, 32)
    target[:, 1] = 1
    keys, query = net.keys_of(example), net.query_of(target)
    assert keys.shape[1] == query.shape[1] == cfg.channels[cfg.attention_downsamples] + 2 * (strength > 0)
    pooled = torch.nn.functional.adaptive_avg_pool2d(example, keys.shape[-2:])
    (share,), _ = attend(query, keys.unsqueeze(1), [pooled.unsqueeze(1)])  # attended class shares (1, 2, h, w)
    own = share[0, 1, 1:-1, 1:-1]  # (interior query positions)
    assert (own.min() > 0.99) == (strength > 0)


def test_a_negative_class_bias_is_refused():
    from vid2vid.errors import UserError

    with pytest.raises(UserError, match="attention_classes must be a finite number >= 0"):
        generator_preset("tiny", 2, attention_classes=-1.0)
