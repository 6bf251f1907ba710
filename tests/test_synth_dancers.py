"""The ``dancers`` synthetic dataset: shapes, determinism, exact optical flow, and semantics that match the pixels."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vid2vid.data.skeleton import BODY_PARTS, COLORS, LIMBS, NUM_BODY_PARTS, NUM_JOINTS, draw_skeleton
from vid2vid.data.synth.dancers import DANCERS, Dancer
from vid2vid.data.synth.frame import SynthFrame
from vid2vid import tasks


def _clip(domain_seed: int, clip_seed: int, n: int = 4, h: int = 64, w: int = 64) -> list[SynthFrame]:
    domain = DANCERS.make_domain(np.random.default_rng(domain_seed))
    return list(DANCERS.render_clip(domain, np.random.default_rng(clip_seed), n, h, w))


def _interior(ids: np.ndarray, radius: int = 2) -> np.ndarray:
    """Pixels whose (2r+1)^2 neighbourhood holds a single object id (object boundaries eroded by r px)."""
    k = np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)
    return cv2.dilate(ids, k) == cv2.erode(ids, k)


def _warp_check(src: SynthFrame, dst: SynthFrame, flow: np.ndarray,
                image: str = "rgb") -> tuple[np.ndarray, np.ndarray]:
    """Warp ``dst`` back onto ``src`` with ``flow`` (bilinear); return per-pixel abs error and the visible-body mask.

    Visible: the pixel and its target lie 2 px inside the same object in both frames, and the target is in the image.
    """
    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    mx, my = xs + flow[..., 0], ys + flow[..., 1]
    a, b = getattr(src, image), getattr(dst, image)
    warped = cv2.remap(b, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    ix, iy = np.round(mx).astype(int), np.round(my).astype(int)
    inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
    ids_src, ids_dst = src.parts[..., 0], dst.parts[..., 0]
    ok_dst = _interior(ids_dst)
    visible = np.zeros((h, w), bool)
    visible[inside] = (ids_dst[iy[inside], ix[inside]] == ids_src[inside]) & ok_dst[iy[inside], ix[inside]]
    visible &= _interior(ids_src) & (ids_src > 0)
    return np.abs(warped - a.astype(np.float32)).max(-1), visible


# --- skeleton maps -------------------------------------------------------------------------------------------------


def test_skeleton_constants_follow_openpose() -> None:
    assert NUM_JOINTS == 18 and len(LIMBS) == 17 and len(COLORS) == 18
    assert NUM_BODY_PARTS == len(BODY_PARTS) == 15
    assert all(0 <= a < NUM_JOINTS and 0 <= b < NUM_JOINTS for a, b in LIMBS)


def test_draw_skeleton_colours_skips_invisible_and_scales() -> None:
    kp = np.zeros((NUM_JOINTS, 3), np.float32)
    kp[1] = (32, 20, 1)  # neck
    kp[2] = (12, 20, 1)  # right shoulder: limb 0 (neck -> r-shoulder) is red
    kp[5] = (52, 20, 0)  # left shoulder invisible: limb 1 must not be drawn
    img = draw_skeleton(kp, 64, 64)
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8
    assert tuple(img[20, 22]) == COLORS[0]
    assert not img[:, 40:].any()
    assert not draw_skeleton(np.zeros((NUM_JOINTS, 3)), 32, 48).any()
    big = kp.copy()
    big[:, :2] *= 4
    thin = np.count_nonzero(draw_skeleton(kp, 64, 64)[:, 22, 0] > 128)  # limb width across its middle
    thick = np.count_nonzero(draw_skeleton(big, 256, 256)[:, 88, 0] > 128)
    assert thin >= 2 and thick >= 2 * thin


# --- the renderer --------------------------------------------------------------------------------------------------


def test_registry_exports_dancers() -> None:
    task = tasks.get("dancers")
    assert task.renderer() is DANCERS and task.name == "pose" and task.semantic == "skeleton"
    assert task.keypoints == "coco18" and set(task.extras) == {"parts", "mask"}


@pytest.mark.parametrize("h, w", [(64, 64), (72, 40)])
def test_frame_shapes_and_dtypes(h: int, w: int) -> None:
    frames = _clip(0, 1, n=3, h=h, w=w)
    assert len(frames) == 3
    for t, f in enumerate(frames):
        assert f.rgb.shape == (h, w, 3) and f.rgb.dtype == np.uint8
        assert f.semantic.shape == (h, w, 3) and f.semantic.dtype == np.uint8
        assert f.parts.shape == (h, w, 3) and f.parts.dtype == np.uint8
        assert f.mask.shape == (h, w) and f.mask.dtype == np.uint8
        assert f.keypoints.shape == (NUM_JOINTS, 3) and f.keypoints.dtype == np.float32
        assert (f.flow_fwd is None) == (t == 2) and (f.flow_bwd is None) == (t == 0)
        for flow in (f.flow_fwd, f.flow_bwd):
            if flow is not None:
                assert flow.shape == (h, w, 2) and flow.dtype == np.float32 and np.isfinite(flow).all()
        assert set(np.unique(f.mask)) <= {0, 255} and f.mask.any()
        assert f.parts[..., 0].max() <= NUM_BODY_PARTS
        np.testing.assert_array_equal(f.mask > 0, f.parts[..., 0] > 0)
        assert not f.parts[f.mask == 0].any()  # u, v are zero on the background


def test_deterministic_and_domains_differ() -> None:
    a, b = _clip(3, 7), _clip(3, 7)
    for fa, fb in zip(a, b):
        for name in ("rgb", "semantic", "parts", "mask", "keypoints"):
            np.testing.assert_array_equal(getattr(fa, name), getattr(fb, name))
        if fa.flow_fwd is not None:
            np.testing.assert_array_equal(fa.flow_fwd, fb.flow_fwd)
    other = _clip(4, 7)
    assert np.abs(a[0].rgb.astype(int) - other[0].rgb.astype(int)).mean() > 20  # another person in another room
    d3, d4 = (DANCERS.make_domain(np.random.default_rng(s)) for s in (3, 4))
    assert isinstance(d3, Dancer) and d3.look.top != d4.look.top and d3.look.skin != d4.look.skin
    assert d3.shape != d4.shape


def test_identity_stays_fixed_across_clips() -> None:
    """Two clips of one domain share the background and the clothes (only the motion changes)."""
    a, b = _clip(5, 1, n=1, h=96, w=96)[0], _clip(5, 2, n=1, h=96, w=96)[0]
    both_bg = (a.mask == 0) & (b.mask == 0)
    np.testing.assert_array_equal(a.rgb[both_bg], b.rgb[both_bg])


@pytest.mark.parametrize("domain_seed, clip_seed", [(0, 100), (1, 101), (2, 102), (6, 106)])
def test_flow_warps_next_and_previous_frame_onto_this_one(domain_seed: int, clip_seed: int) -> None:
    """THE KEY CHECK: sampling frame t+1 at p + flow_fwd reproduces frame t (and likewise flow_bwd with t-1).

    Textures are blurred by 1 px so they are band-limited; re-interpolating them bilinearly then costs ~1-3 grey
    levels on average (with a heavily blurred texture this test measures ~0.5, i.e. uint8 rounding, so the flow
    itself is exact). Hence: mean < 4/255 and 99th percentile < 16/255 on the body pixels visible in both frames.
    The u, v part coordinates are linear inside a part, so warping them is exact up to uint8 rounding.
    """
    frames = _clip(domain_seed, clip_seed, n=4, h=160, w=128)
    for t in range(3):
        for src, dst, flow in ((frames[t], frames[t + 1], frames[t].flow_fwd),
                               (frames[t + 1], frames[t], frames[t + 1].flow_bwd)):
            err, visible = _warp_check(src, dst, flow)
            assert visible.sum() > 250
            assert err[visible].mean() < 4.0 and np.percentile(err[visible], 99) < 16.0
            uv_err, _ = _warp_check(src, dst, flow, image="parts")
            assert np.percentile(uv_err[visible], 99) <= 2.0
            moving = visible & (np.abs(flow).max(-1) > 1.0)
            if moving.sum() > 100:  # negative control: ignoring the motion must fail the same check
                still, _ = _warp_check(src, dst, np.zeros_like(flow), image="parts")
                assert np.percentile(still[moving], 99) > 4.0


def test_background_is_static_and_flow_zero_there() -> None:
    frames = _clip(2, 3, n=3, h=64, w=64)
    for f in frames:
        for flow in (f.flow_fwd, f.flow_bwd):
            if flow is not None:
                assert not flow[f.mask == 0].any()
    bg = (frames[0].mask == 0) & (frames[1].mask == 0)
    np.testing.assert_array_equal(frames[0].rgb[bg], frames[1].rgb[bg])


def test_keypoints_lie_on_the_body_and_skeleton() -> None:
    n_visible = 0
    for seed in range(4):
        for f in _clip(seed, seed + 20, n=3, h=128, w=96):
            vis = f.keypoints[:, 2] > 0
            xy = np.round(f.keypoints[vis, :2]).astype(int)
            assert (f.mask[xy[:, 1], xy[:, 0]] == 255).all()
            assert f.semantic[xy[:, 1], xy[:, 0]].any(-1).all()
            n_visible += int(vis.sum())
            out = f.keypoints[~vis, :2]
            assert ((out[:, 0] < 0) | (out[:, 0] > 95) | (out[:, 1] < 0) | (out[:, 1] > 127)).all()
    assert n_visible > 0.8 * 4 * 3 * NUM_JOINTS  # the body stays mostly inside the frame


def test_keypoints_move_with_the_flow() -> None:
    """A joint's keypoint at t plus the flow at its pixel lands on its keypoint at t+1 (exact kinematics)."""
    owner = {0: "head", 14: "head", 15: "head", 16: "head", 17: "head", 1: "torso", 8: "torso", 11: "torso"}
    for seed in range(3):
        frames = _clip(seed, seed + 40, n=3, h=160, w=128)
        for t in range(2):
            a, b = frames[t], frames[t + 1]
            for j, part in owner.items():
                x, y = np.round(a.keypoints[j, :2]).astype(int)
                if a.keypoints[j, 2] and b.keypoints[j, 2] and a.parts[y, x, 0] == BODY_PARTS.index(part) + 1:
                    moved = a.keypoints[j, :2] + a.flow_fwd[y, x]
                    assert np.abs(moved - b.keypoints[j, :2]).max() < 0.25  # rounding to a pixel costs ~0.02


def test_sizes_scale() -> None:
    """The person fills a similar fraction of the frame at every size."""
    small, large = _clip(1, 2, n=1, h=64, w=64)[0], _clip(1, 2, n=1, h=256, w=256)[0]
    ratio = np.count_nonzero(large.mask) / np.count_nonzero(small.mask)
    assert 12 < ratio < 20  # 16x the pixels
    np.testing.assert_allclose(large.keypoints[:, :2] / 4, small.keypoints[:, :2], atol=0.5)
