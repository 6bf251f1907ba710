"""warp(): pixel-unit flow, grid_sample with border padding and align_corners=True."""

import pytest
import torch

from vid2vid.models.warp import warp


pytestmark = pytest.mark.usefixtures("one_thread")


def test_zero_flow_is_identity():
    image = torch.randn(2, 3, 17, 23)
    out = warp(image, torch.zeros(2, 2, 17, 23))
    assert torch.allclose(out, image, atol=1e-5)


def test_flow_in_pixels_samples_from_x_plus_dx():
    image = torch.arange(5 * 7, dtype=torch.float32).view(1, 1, 5, 7)
    flow = torch.zeros(1, 2, 5, 7)
    flow[:, 0] = 1.0  # dx = +1: output(x) = image(x + 1)
    flow[:, 1] = -2.0  # dy = -2: output(y) = image(y - 2)
    out = warp(image, flow)
    assert torch.allclose(out[0, 0, 2:, :-1], image[0, 0, :-2, 1:], atol=1e-4)
    assert torch.allclose(out[0, 0, 0, :-1], image[0, 0, 0, 1:], atol=1e-4)  # border padding clamps rows


def test_half_pixel_flow_interpolates_bilinearly():
    image = torch.tensor([[[[0.0, 2.0, 4.0]]]]).expand(1, 1, 2, 3).contiguous()
    flow = torch.zeros(1, 2, 2, 3)
    flow[:, 0] = 0.5
    out = warp(image, flow)
    assert torch.allclose(out[0, 0, 0], torch.tensor([1.0, 3.0, 4.0]), atol=1e-5)


def test_bfloat16_input_keeps_its_dtype():
    image = torch.randn(1, 3, 8, 8).bfloat16()
    out = warp(image, torch.zeros(1, 2, 8, 8))
    assert out.dtype == torch.bfloat16
    assert torch.allclose(out.float(), image.float(), atol=1e-2)
