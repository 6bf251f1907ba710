"""Example flow from the semantic maps alone: the pose maps' DensePose-like part channels give the correspondence.

A pose map carries, per pixel, a body-part index and that part's surface coordinates (u, v) (the part channels of
`data.semantics.encode_semantic`). Each part is rigid enough that image -> (u, v) is affine in every frame, so a pixel
of the driving frame maps through its part's (u, v) to the example pixel with the same (u, v): one least-squares
affine per part and frame, the same teacher `data.correspondence.part_correspondence` computes for training, here in
torch on the generator's own inputs. Background pixels (part 0) keep zero flow (the background is static within a
domain) and are valid where the example shows background too; a pixel is valid where the example shows the same part
at the mapped pixel.

Why (docs/learning.md, "The body is drawn by the decoder"): the learned example flow of the shipped 128 px pose model
misses the body by 8 px on 39 px displacements, so its masks reject the warped example on 97 % of the body and the
decoder draws the body, translucent; the correspondence of the maps puts the example's own pixels there.
"""

from __future__ import annotations

import torch

from vid2vid.errors import UserError

PART_CHANNELS = slice(3, 6)  # part index / num_parts, u, v: after the skeleton's RGB
MIN_PART_PIXELS = 8  # as data.correspondence: fewer pixels of a part in either frame, no reliable fit (left invalid)
_LEVELS = 4096  # part index channel -> integer ids: k / num_parts stays distinct for any num_parts below this


def require_part_channels(source: str, task: str, semantic_channels: int) -> None:
    """One line naming ``source`` when a model set to example flow "parts" has maps without the part channels."""
    if semantic_channels < PART_CHANNELS.stop:
        raise UserError(f"{source}: example flow 'parts' reads the body-part channels of pose maps; this {task} "
                        f"model's maps have {semantic_channels} channels (use learned)")


def part_ids(semantic: torch.Tensor) -> torch.Tensor:
    """(H, W) integer part ids of one encoded pose map (C, H, W); 0 = background."""
    return (semantic[PART_CHANNELS.start].double() * _LEVELS).round().long()


def _affine(points: torch.Tensor, targets: torch.Tensor) -> torch.Tensor | None:
    """Least-squares (3, 2) map [x, y, 1] -> targets from (N, 3) points; None when they do not determine it."""
    if torch.linalg.matrix_rank(points) < 3:
        return None
    return torch.linalg.lstsq(points, targets).solution


def part_flow(semantic: torch.Tensor, example_semantic: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Flow (B, 2, H, W) in pixels from each frame to its example (``warp(example, flow)`` shows the example's pixels
    in the frame's pose) and validity (B, 1, H, W) in {0, 1}, from encoded pose maps (B, C >= 6, H, W)."""
    if semantic.shape[1] < PART_CHANNELS.stop or example_semantic.shape != semantic.shape:
        raise ValueError(f"part flow needs pose maps with part channels (C >= {PART_CHANNELS.stop}) of one shape, got "
                         f"{tuple(semantic.shape)} and {tuple(example_semantic.shape)}")
    h, w = semantic.shape[-2:]
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64, device=semantic.device),
                            torch.arange(w, dtype=torch.float64, device=semantic.device), indexing="ij")
    grid = torch.stack([xs, ys, torch.ones_like(xs)], -1)  # (H, W, 3)
    flows, valids = [], []
    for s_t, s_e in zip(semantic, example_semantic):
        ids_t, ids_e = part_ids(s_t), part_ids(s_e)
        uv_t, uv_e = (s[PART_CHANNELS.start + 1:PART_CHANNELS.stop].double().permute(1, 2, 0) * 255 for s in (s_t, s_e))
        flow = torch.zeros(h, w, 2, dtype=torch.float64, device=semantic.device)
        known = ids_t == 0
        for p in ids_t.unique():
            if p == 0:
                continue
            in_t, in_e = ids_t == p, ids_e == p
            if int(in_t.sum()) < MIN_PART_PIXELS or int(in_e.sum()) < MIN_PART_PIXELS:
                continue
            to_uv, from_e = _affine(grid[in_t], uv_t[in_t]), _affine(grid[in_e], uv_e[in_e])
            if to_uv is None or from_e is None or abs(float(torch.linalg.det(from_e[:2]))) < 1e-6:
                continue
            uv = grid[in_t] @ to_uv  # (N, 2): the frame's pixels' (u, v) ...
            xy = torch.linalg.solve(from_e[:2].T, (uv - from_e[2]).T).T  # ... and where the example has them
            flow[in_t] = xy - grid[in_t, :2]
            known |= in_t
        mapped = (grid[..., :2] + flow).round()
        inside = (mapped[..., 0] >= 0) & (mapped[..., 0] <= w - 1) & (mapped[..., 1] >= 0) & (mapped[..., 1] <= h - 1)
        xi, yi = mapped[..., 0].clamp(0, w - 1).long(), mapped[..., 1].clamp(0, h - 1).long()
        flows.append(flow.permute(2, 0, 1))
        valids.append((known & inside & (ids_e[yi, xi] == ids_t))[None])
    return torch.stack(flows).to(semantic.dtype), torch.stack(valids).to(semantic.dtype)
