"""The `streets` synthetic dataset: shapes, labels, determinism, distinct cities, and exact flow (warping)."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from vid2vid.data.labels import NUM_STREET_LABELS, STREET_LABELS, colorize_labels
from vid2vid import tasks
from vid2vid.data.synth.streets import STREETS, frame_flow, make_view, render_street
from vid2vid.data.synth.streets_scene import make_street


def _clip(domain_seed: int, clip_seed: int, n: int = 4, h: int = 64, w: int = 64):
    city = STREETS.make_domain(np.random.default_rng(domain_seed))
    return list(STREETS.render_clip(city, np.random.default_rng(clip_seed), n, h, w))


def test_kind_and_labels():
    task = tasks.get("streets")
    assert task.renderer() is STREETS and task.name == "street"
    assert task.semantic == "labels" and task.extras == () and task.semantic_channels == 20
    assert task.label_names == STREET_LABELS and len(STREET_LABELS) == NUM_STREET_LABELS == 20
    rgb = colorize_labels(np.arange(20, dtype=np.uint8).reshape(4, 5, 1))
    assert rgb.shape == (4, 5, 3) and rgb.dtype == np.uint8 and len({tuple(c) for c in rgb.reshape(-1, 3)}) == 20


def test_shapes_dtypes_and_label_range():
    frames = _clip(0, 1, n=4, h=48, w=80)
    assert len(frames) == 4
    for i, f in enumerate(frames):
        assert f.rgb.shape == (48, 80, 3) and f.rgb.dtype == np.uint8
        assert f.semantic.shape == (48, 80, 1) and f.semantic.dtype == np.uint8
        assert f.semantic.max() < NUM_STREET_LABELS
        assert (f.flow_fwd is None) == (i == 3) and (f.flow_bwd is None) == (i == 0)
        for flow in (f.flow_fwd, f.flow_bwd):
            if flow is not None:
                assert flow.shape == (48, 80, 2) and flow.dtype == np.float32 and np.isfinite(flow).all()
    labels = set(np.unique(np.concatenate([f.semantic for f in frames])))
    assert {0, 2, 10} <= labels  # road, building (or at least some facade), sky always show


def test_deterministic_and_cities_differ():
    a, b = _clip(3, 7), _clip(3, 7)
    for fa, fb in zip(a, b):
        assert np.array_equal(fa.rgb, fb.rgb) and np.array_equal(fa.semantic, fb.semantic)
        assert np.array_equal(fa.flow_bwd, fb.flow_bwd) if fa.flow_bwd is not None else fb.flow_bwd is None
    means = [np.concatenate([f.rgb for f in _clip(d, 7)]).reshape(-1, 3).mean(0) for d in range(6)]
    gaps = [np.abs(means[i] - means[j]).max() for i in range(6) for j in range(i)]
    assert np.median(gaps) > 20  # a typical pair of cities differs by > 20/255 in mean colour (measured ~50)
    assert not np.array_equal(_clip(3, 8)[0].rgb, a[0].rgb)  # another clip of the same city is another street


def _warp_errors(src_frame, dst_frame, src_fr, dst_fr, flow, by_label: bool = False):
    """Abs errors (0..255) of warping ``dst`` back onto ``src`` with ``flow`` on pixels visible in both frames.

    Visible: all four bilinear taps at the target show the source pixel's surface (its label, if ``by_label``),
    and the source pixel is not on a surface boundary (1 px erosion). Returns (errors, visible fraction).
    """
    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    mx, my = xs + flow[..., 0], ys + flow[..., 1]
    warped = cv2.remap(dst_frame.rgb, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    src_id = src_frame.semantic[..., 0].astype(np.int32) if by_label else src_fr.surf
    dst_id = dst_frame.semantic[..., 0].astype(np.int32) if by_label else dst_fr.surf
    ok = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    x0, y0 = np.clip(np.floor(mx), 0, w - 2).astype(int), np.clip(np.floor(my), 0, h - 2).astype(int)
    for oy in (0, 1):
        for ox in (0, 1):
            ok &= dst_id[y0 + oy, x0 + ox] == src_id
    dy, dx = src_id[1:, :] != src_id[:-1, :], src_id[:, 1:] != src_id[:, :-1]
    ok[1:, :] &= ~dy
    ok[:-1, :] &= ~dy
    ok[:, 1:] &= ~dx
    ok[:, :-1] &= ~dx
    err = np.abs(warped.astype(np.float32) - src_frame.rgb.astype(np.float32)).mean(-1)
    return err[ok], ok.mean()


@pytest.mark.parametrize("domain_seed", [0, 1, 2, 3])
def test_exact_flow_warps_neighbours(domain_seed):
    """Warping frame t+1 with flow_fwd of frame t gives frame t back (and t-1 with flow_bwd of t).

    Tolerances: the renderer point-samples textures box-filtered over ~1.25 px, so bilinear resampling is off by a
    fraction of the contrast only on the ~1-px ramps of texture edges (windows, lane marks), plus uint8 rounding:
    mean < 1.5/255 and 99th percentile < 24/255 (measured at most ~1.2 and ~17 over eight cities). The flow must
    also beat the same flow shifted by one pixel by 2x, which a flow that is only roughly right would not.
    """
    city = STREETS.make_domain(np.random.default_rng(domain_seed))
    street = make_street(city, np.random.default_rng(10 + domain_seed), 4, 15.0)
    out = list(render_street(street, 96, 128))
    for i in range(len(out) - 1):
        (fa, ra), (fb, rb) = out[i], out[i + 1]
        for src, dst, rs, rd, flow in ((fa, fb, ra, rb, fa.flow_fwd), (fb, fa, rb, ra, fb.flow_bwd)):
            err, frac = _warp_errors(src, dst, rs, rd, flow)
            assert frac > 0.6  # most of the frame is visible in its neighbour
            assert err.mean() < 1.5, err.mean()
            assert np.percentile(err, 99) < 24.0, np.percentile(err, 99)
            shifted, _ = _warp_errors(src, dst, rs, rd, flow + np.float32([1.0, 0.0]))
            assert err.mean() < 0.5 * shifted.mean()
            by_label, _ = _warp_errors(src, dst, rs, rd, flow, by_label=True)  # same-label occlusions count here
            assert by_label.mean() < 2.5, by_label.mean()


def test_moving_objects_carry_their_velocity():
    """On pixels of moving vehicles the flow includes their motion: dropping it makes warping worse."""
    city = STREETS.make_domain(np.random.default_rng(21))
    for clip_seed in range(20):  # the first clip of this city that shows enough moving traffic in its first frame
        street = make_street(city, np.random.default_rng(clip_seed), 3, 15.0)
        (fa, ra), (fb, rb) = list(render_street(street, 128, 192))[:2]
        moving = np.isin(ra.obj, 1 + np.flatnonzero(np.abs(street.boxes.vel[:, 2]) > 1))
        if moving.sum() > 500:
            break
    assert moving.sum() > 500, "no clip with moving traffic in view"
    boxes, cards = replace(street.boxes, vel=street.boxes.vel * 0), replace(street.cards, vel=street.cards.vel * 0)
    still = replace(street, boxes=boxes, cards=cards)
    wrong = frame_flow(still, ra, make_view(street, 1, 128, 192), 1 / 15)
    assert np.abs(wrong - fa.flow_fwd)[moving].mean() > 0.3  # the motion is visible in the flow ...
    good, _ = _warp_errors(fa, fb, ra, rb, np.where(moving[..., None], fa.flow_fwd, 1e6))
    bad, _ = _warp_errors(fa, fb, ra, rb, np.where(moving[..., None], wrong, 1e6))
    assert good.mean() < 0.6 * bad.mean() and good.mean() < 3.0  # ... and matters for warping
