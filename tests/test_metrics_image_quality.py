"""PSNR / SSIM on known inputs (images in [-1, 1], measured on [0, 1])."""

import math

import pytest
import torch

from vid2vid.metrics.image_quality import psnr, psnr_from_mse, ssim


def _images(seed: int = 0, shape=(2, 3, 24, 20)) -> torch.Tensor:
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_psnr_known_values():
    a = torch.zeros(1, 3, 8, 8)
    assert psnr(a, a + 0.2).item() == pytest.approx(20.0, abs=1e-4)  # 0.1 on [0, 1]: MSE 0.01 -> 20 dB
    assert psnr(a, a + 0.02).item() == pytest.approx(40.0, abs=1e-4)
    assert psnr(a + 0.5, a + 0.6, value_range=(0.0, 1.0)).item() == pytest.approx(20.0, abs=1e-4)
    assert math.isinf(psnr(a, a).item())
    assert psnr_from_mse(0.01) == pytest.approx(20.0) and math.isinf(psnr_from_mse(0.0))
    x = _images()
    assert psnr(x, x).isinf().all() and psnr(x, x).shape == (2,)


def test_ssim_identical_is_one_and_drops_with_noise():
    x = _images()
    assert torch.allclose(ssim(x, x), torch.ones(2), atol=1e-6)
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
    s1, s2 = ssim(x, (x + 0.1 * noise).clamp(-1, 1)), ssim(x, (x + 0.5 * noise).clamp(-1, 1))
    assert (s1 < 1).all() and (s2 < s1).all()
    assert (ssim(x, -x) < 0).all()  # inverted intensities: anti-correlated structure


def test_ssim_constant_images_known_value():
    a, b = torch.zeros(1, 1, 16, 16), torch.full((1, 1, 16, 16), 0.5)  # 0.5 and 0.75 on [0, 1]
    c1 = 0.01**2  # only the luminance term remains: (2 mu_a mu_b + c1) / (mu_a^2 + mu_b^2 + c1)
    assert ssim(a, b).item() == pytest.approx((2 * 0.5 * 0.75 + c1) / (0.25 + 0.5625 + c1), rel=1e-6)


def test_ssim_matches_scikit_image():
    metrics = pytest.importorskip("skimage.metrics")
    x = _images(2, (1, 3, 32, 40))
    y = (x + 0.3 * _images(3, (1, 3, 32, 40))).clamp(-1, 1)
    unit = lambda t: ((t[0] + 1) / 2).double().numpy()  # noqa: E731
    ref = metrics.structural_similarity(unit(x), unit(y), channel_axis=0, data_range=1.0,
                                        gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    assert ssim(x, y).item() == pytest.approx(ref, abs=1e-5)


def test_small_images_and_shape_errors():
    x = _images(4, (1, 3, 7, 9))
    assert ssim(x, x).item() == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError):
        psnr(x, x[:, :2])
