"""Layer library: per-sample convs, the fused SPADE block (with and without batch-norm folding), inference copy."""

import pytest
import torch
import torch.nn.functional as F

from vid2vid.models.layers import (ConvBlock, ResBlock, conv1x1, conv1x1_per_sample, conv_per_sample, inference_copy,
                                   up_conv3x3, up_conv_kernels)
from vid2vid.models.spade import SpadeResBlock


pytestmark = pytest.mark.usefixtures("one_thread")


def test_per_sample_conv_matches_a_loop_of_convs():
    torch.manual_seed(0)
    x = torch.randn(3, 5, 4, 6)
    weight, bias = torch.randn(3, 7, 5), torch.randn(3, 7)
    ref = torch.cat([F.conv2d(x[i:i + 1], weight[i, :, :, None, None], bias[i]) for i in range(3)])
    assert torch.allclose(conv1x1_per_sample(x, weight, bias), ref, atol=1e-5)
    cl = x.contiguous(memory_format=torch.channels_last)
    assert torch.allclose(conv1x1_per_sample(cl, weight, bias), ref, atol=1e-5)
    assert torch.allclose(conv1x1(cl, weight[0], bias[0]), F.conv2d(x, weight[0, :, :, None, None], bias[0]),
                          atol=1e-5)


def test_per_sample_kxk_conv_matches_a_loop_of_convs():
    torch.manual_seed(0)
    x = torch.randn(3, 5, 4, 6)
    weight, bias = torch.randn(3, 7, 5, 3, 3), torch.randn(3, 7)
    ref = torch.cat([F.conv2d(x[i:i + 1], weight[i], bias[i], padding=1) for i in range(3)])
    assert torch.allclose(conv_per_sample(x, weight, bias), ref, atol=1e-5)
    assert torch.allclose(conv_per_sample(x.contiguous(memory_format=torch.channels_last), weight, bias), ref,
                          atol=1e-5)
    assert not torch.allclose(conv_per_sample(x, weight.flip(0), bias), ref, atol=1e-2)  # each sample its own


def _trained_block(generated_first: bool) -> SpadeResBlock:
    torch.manual_seed(0)
    block = SpadeResBlock(8, 4, [3, 5], norm="batch", spectral=True, generated_first=generated_first)
    block.train()
    for _ in range(3):  # non-trivial running statistics
        block(torch.randn(2, 8, 16, 16) * 3 + 1, [torch.randn(2, 3, 16, 16), torch.randn(2, 5, 16, 16)],
              _generated(block) if generated_first else None)
    return block.eval()


def _generated(block):
    g = torch.Generator().manual_seed(5)
    return torch.randn(2, block.modulation_channels, 3, generator=g) * 0.3, torch.randn(2, block.modulation_channels,
                                                                                       generator=g) * 0.3


@pytest.mark.parametrize("generated_first", [False, True])
def test_batch_norm_folding_in_spade_is_exact(generated_first, monkeypatch):
    block = _trained_block(generated_first)
    x = torch.randn(2, 8, 16, 16) * 3 + 1
    maps = [torch.randn(2, 3, 16, 16), torch.randn(2, 5, 16, 16)]
    gen = _generated(block) if generated_first else None
    with torch.no_grad():
        assert block._can_fold(x, 8)
        folded = block(x, maps, gen)
        monkeypatch.setattr(block, "_can_fold", lambda *a: False)
        plain = block(x, maps, gen)
        missing = block(x, [maps[0], None], gen)  # an absent map drops its weight columns
    assert torch.allclose(folded, plain, atol=1e-4)
    assert not torch.allclose(missing, plain, atol=1e-3)


def test_spade_block_modulates_jointly_by_all_maps():
    """With identity-initialised convs removed from the picture, check x * (1 + gamma) + beta by hand."""
    torch.manual_seed(0)
    block = SpadeResBlock(4, 4, [2, 3], norm="instance", spectral=False).eval()
    x, maps = torch.randn(1, 4, 5, 5), [torch.randn(1, 2, 5, 5), torch.randn(1, 3, 5, 5)]
    mod = F.conv2d(torch.cat(maps, 1), block.modulation.weight, block.modulation.bias)
    gamma, beta = mod[:, 0:4], mod[:, 4:8]
    h = F.instance_norm(x) * (1 + gamma) + beta
    dx = block.conv_0(F.leaky_relu(h, 0.2))
    gamma, beta = mod[:, 8:12], mod[:, 12:16]
    dx = block.conv_1(F.leaky_relu(F.instance_norm(dx) * (1 + gamma) + beta, 0.2))
    with torch.no_grad():
        assert torch.allclose(block(x, maps), x + dx, atol=1e-5)


def test_inference_copy_folds_spectral_and_batch_norm():
    torch.manual_seed(0)
    net = torch.nn.Sequential(ConvBlock(3, 6, norm="batch", spectral=True), ResBlock(6, norm="batch", spectral=True))
    net.train()
    for _ in range(3):
        net(torch.randn(4, 3, 8, 8) * 2 + 1)
    net.eval()
    fast = inference_copy(net)
    assert isinstance(fast[0].norm, torch.nn.Identity) and isinstance(fast[1].norm_1, torch.nn.Identity)
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        assert torch.allclose(fast(x), net(x), atol=1e-5)
    assert not any("parametrizations" in n for n, _ in fast.named_parameters())
    assert any("parametrizations" in n for n, _ in net.named_parameters())
    with torch.no_grad():  # the original model is untouched and still works
        net(x)


@pytest.mark.parametrize("channels_last", [False, True])
def test_up_conv_equals_conv_of_upsampled_input(channels_last):
    torch.manual_seed(0)
    x = torch.randn(2, 5, 6, 7, requires_grad=True)
    weight, bias = torch.randn(4, 5, 3, 3, requires_grad=True), torch.randn(4)
    inp = x.contiguous(memory_format=torch.channels_last) if channels_last else x
    got = up_conv3x3(inp, up_conv_kernels(weight), bias)
    ref = F.conv2d(F.interpolate(x, scale_factor=2.0, mode="nearest"), weight, bias, padding=1)
    assert torch.allclose(got, ref, atol=1e-4)
    g1 = torch.autograd.grad(got.square().sum(), (x, weight))
    g2 = torch.autograd.grad(ref.square().sum(), (x, weight))
    for a, b in zip(g1, g2):
        assert torch.allclose(a, b, atol=1e-3, rtol=1e-4)


def test_upsampling_conv_block_caches_kernels_only_for_fixed_weights():
    torch.manual_seed(0)
    block = ConvBlock(4, 3, norm="none", upsample=True)
    x = torch.randn(1, 4, 16, 16)  # 256 pixels: the phase-kernel path
    ref = lambda: torch.nn.functional.leaky_relu(block.conv(F.interpolate(x, scale_factor=2.0)), 0.2)  # noqa: E731
    with torch.no_grad():
        assert torch.allclose(block(x), ref(), atol=1e-5)
        first = block._kernels[1]
        block(x)
        assert block._kernels[1] is first  # reused
        block.conv.weight.mul_(2)  # an in-place update (optimizer step, load_state_dict) invalidates the cache
        assert torch.allclose(block(x), ref(), atol=1e-5)
    block(x).sum().backward()  # training: recomputed and differentiable
    assert block.conv.weight.grad is not None
