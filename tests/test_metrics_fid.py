"""FID: Frechet distance on known Gaussians, streaming statistics, and the Inception protocol on a few images."""

import numpy as np
import pytest
import scipy.linalg
import torch

from vid2vid.metrics.fid import (FeatureStats, InceptionFeatures, fid_from_features, fid_from_stats,
                                 frechet_distance)


def _random_cov(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def test_frechet_distance_matches_scipy_sqrtm_formula():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    c1, c2 = _random_cov(rng, 6), _random_cov(rng, 6)
    covmean = np.real(scipy.linalg.sqrtm(c1 @ c2))
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(c1 + c2 - 2 * covmean)
    assert frechet_distance(mu1, c1, mu2, c2) == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_known_values():
    c = _random_cov(np.random.default_rng(1), 5)
    mu = np.arange(5.0)
    assert frechet_distance(mu, c, mu, c) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance(mu, c, mu + 2.0, c) == pytest.approx(4.0 * 5, rel=1e-9)  # |dmu|^2 only
    # isotropic: N(0, a I) vs N(0, b I) -> d (sqrt a - sqrt b)^2
    assert frechet_distance(mu, 4 * np.eye(5), mu, np.eye(5)) == pytest.approx(5.0, rel=1e-9)


def test_sample_space_fid_equals_covariance_fid():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(5, 40)), rng.normal(size=(7, 40)) * 1.5 + 0.3  # fewer samples than dimensions
    via_stats = frechet_distance(*FeatureStats(40).update(a).mean_cov(), *FeatureStats(40).update(b).mean_cov())
    assert fid_from_features(a, b) == pytest.approx(via_stats, rel=1e-6)


def test_small_sets_take_the_sample_space_route_and_large_ones_keep_only_the_sums():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(9, 16)), rng.normal(size=(12, 16)) * 0.7 + 0.2
    small_a = FeatureStats(16).update(a[:4]).merge(FeatureStats(16).update(a[4:]))
    small_b = FeatureStats(16)
    for chunk in np.array_split(b, 3):
        small_b.update(chunk)
    assert np.array_equal(small_a.features(), a) and small_b.features().shape == (12, 16)
    covariance_route = frechet_distance(*small_a.mean_cov(), *small_b.mean_cov())
    assert fid_from_stats(small_a, small_b) == pytest.approx(covariance_route, rel=1e-6)
    large = FeatureStats(16).update(rng.normal(size=(10, 16))).update(rng.normal(size=(10, 16)))
    assert large.features() is None and large.count == 20  # rows dropped once the set reaches the dimension
    assert fid_from_stats(small_a, large) == pytest.approx(frechet_distance(*small_a.mean_cov(), *large.mean_cov()))
    assert fid_from_stats(small_a, small_a) == pytest.approx(0.0, abs=1e-9)


def test_streaming_stats_equal_batch_statistics_and_singular_sets_are_fine():
    rng = np.random.default_rng(2)
    feats = rng.normal(size=(50, 8))
    stats = FeatureStats(8)
    for chunk in np.array_split(feats, 7):
        stats.update(chunk)
    mu, cov = stats.mean_cov()
    assert np.allclose(mu, feats.mean(0)) and np.allclose(cov, np.cov(feats, rowvar=False))
    halves = FeatureStats(8).update(feats[:20]).merge(FeatureStats(8).update(feats[20:]))
    assert np.allclose(halves.mean_cov()[1], cov)
    few = rng.normal(size=(3, 8))  # 3 samples in 8 dims: singular covariance
    assert fid_from_features(few, few) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError):
        FeatureStats(8).update(feats[:1]).mean_cov()


@pytest.fixture(scope="module")
def inception():
    return InceptionFeatures()


def test_preprocess_is_299_and_tf_range():
    x = torch.linspace(-1, 1, 3 * 20 * 30).view(1, 3, 20, 30)
    y = InceptionFeatures.preprocess(x)
    assert y.shape == (1, 3, 299, 299)
    assert y.min() == -1.0 and y.max() == pytest.approx(127 / 128)


def test_fid_of_a_set_with_itself_is_zero_and_grows_with_noise(inception):
    gen = torch.Generator().manual_seed(0)
    coarse = torch.rand(2, 3, 4, 4, generator=gen) * 2 - 1  # Inception is slow on CPU: tiny sets
    images = torch.nn.functional.interpolate(coarse, size=(48, 48), mode="bilinear", align_corners=False)
    feats = inception(images)
    assert feats.shape == (2, 2048)
    assert fid_from_features(feats, feats) == pytest.approx(0.0, abs=1e-6)
    noise = torch.randn(images.shape, generator=gen)
    fids = [fid_from_features(feats, inception((images + s * noise).clamp(-1, 1))) for s in (0.1, 0.4)]
    assert 1.0 < fids[0] < fids[1]
