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
    """(..., H, W) integer part ids of encoded pose maps (..., C, H, W); 0 = background."""
    return (semantic[..., PART_CHANNELS.start, :, :].double() * _LEVELS).round().long()


def _fit(labels: torch.Tensor, grid: torch.Tensor, uv: torch.Tensor, count: int
         ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Least-squares affine maps [x, y, 1] -> (u, v), one per label and sample: (B, L, 3, 2), (B, L) whether the
    label's pixels determine it, and (B, L) its pixel count. labels (B, H, W) in 0..count-1, grid (H, W, 3), uv
    (B, H, W, 2), all batched: the normal equations summed per (sample, label) in one pass over the pixels."""
    b = labels.shape[0]
    g = grid.flatten(0, 1)  # (HW, 3)
    uv = uv.flatten(1, 2)  # (B, HW, 2)
    # per pixel: [x y 1]^T [x y 1] (the same in every sample) and [x y 1]^T (u, v), summed per (sample, label)
    terms = torch.cat([(g[:, :, None] * g[:, None, :]).flatten(1).expand(b, -1, -1),
                       (g[:, :, None] * uv[:, :, None, :]).flatten(2)], -1)  # (B, HW, 15)
    slot = (labels.flatten(1) + count * torch.arange(b, device=labels.device)[:, None]).flatten()
    sums = torch.zeros(b * count, 15, dtype=terms.dtype, device=terms.device)
    sums = sums.index_add_(0, slot, terms.flatten(0, 1)).unflatten(0, (b, count))
    normal, rhs = sums[..., :9].unflatten(-1, (3, 3)), sums[..., 9:].unflatten(-1, (3, 2))
    pixels = normal[..., 2, 2]  # the sum of 1s
    eig = torch.linalg.eigvalsh(normal)  # ascending; the points span the plane when the smallest is not ~0
    determined = eig[..., 0] > 1e-9 * eig[..., 2].clamp_min(1e-300)
    eye = torch.eye(3, dtype=normal.dtype, device=normal.device)
    return torch.linalg.solve(torch.where(determined[..., None, None], normal, eye), rhs), determined, pixels


def part_flow(semantic: torch.Tensor, example_semantic: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Flow (B, 2, H, W) in pixels from each frame to its example (``warp(example, flow)`` shows the example's pixels
    in the frame's pose) and validity (B, 1, H, W) in {0, 1}, from encoded pose maps (B, C >= 6, H, W).

    Every sample and part at once: part ids numbered 0..L-1 over the batch, one affine fit per (sample, part) from the
    normal equations, in coordinates scaled to [-1, 1] (well conditioned for small parts far from the origin)."""
    if semantic.shape[1] < PART_CHANNELS.stop or example_semantic.shape != semantic.shape:
        raise ValueError(f"part flow needs pose maps with part channels (C >= {PART_CHANNELS.stop}) of one shape, got "
                         f"{tuple(semantic.shape)} and {tuple(example_semantic.shape)}")
    b, _, h, w = semantic.shape
    device = semantic.device
    ids, labels = torch.unique(torch.stack([part_ids(semantic), part_ids(example_semantic)]), return_inverse=True)
    lab_t, lab_e = labels[0], labels[1]  # (B, H, W) in 0..L-1; label 0 is the background when any pixel shows it
    count = ids.numel()
    scale = torch.tensor([(w - 1) / 2, (h - 1) / 2], dtype=torch.float64, device=device).clamp_min(0.5)
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64, device=device),
                            torch.arange(w, dtype=torch.float64, device=device), indexing="ij")
    pixels = torch.stack([xs, ys], -1)  # (H, W, 2)
    grid = torch.cat([pixels / scale - 1, torch.ones(h, w, 1, dtype=torch.float64, device=device)], -1)
    uv_t, uv_e = (s[:, PART_CHANNELS.start + 1:PART_CHANNELS.stop].double().permute(0, 2, 3, 1) * 255
                  for s in (semantic, example_semantic))
    to_uv, fit_t, pixels_t = _fit(lab_t, grid, uv_t, count)  # (B, L, 3, 2): frame -> (u, v)
    from_e, fit_e, pixels_e = _fit(lab_e, grid, uv_e, count)  # example -> (u, v)
    linear = from_e[:, :, :2].transpose(-1, -2)  # (B, L, 2, 2): d(u, v) / d(x, y) in the example
    det = torch.linalg.det(linear)
    usable = (fit_t & fit_e & (pixels_t >= MIN_PART_PIXELS) & (pixels_e >= MIN_PART_PIXELS)
              & (det.abs() > 1e-6 * float(scale.prod())) & (ids != 0))  # det in pixel units as the data's teacher
    inverse = torch.linalg.inv(torch.where(usable[..., None, None], linear, torch.eye(2, dtype=det.dtype,
                                                                                        device=device)))
    # frame [x, y, 1] -> (u, v) -> example (x, y), composed per part: (B, L, 2, 3), then read per pixel
    to_example = inverse @ (to_uv.transpose(-1, -2) - torch.nn.functional.pad(from_e[:, :, 2, :, None], (2, 0)))
    batch = torch.arange(b, device=device)[:, None, None]
    per_pixel = to_example.flatten(2)[batch, lab_t]  # (B, H, W, 6)
    xy = torch.stack([(per_pixel[..., 3 * i:3 * i + 3] * grid).sum(-1) for i in (0, 1)], -1)
    moved = usable[batch, lab_t]  # (B, H, W)
    flow = torch.where(moved[..., None], (xy + 1) * scale - pixels, torch.zeros((), dtype=torch.float64))
    known = moved | (ids[lab_t] == 0)
    mapped = (pixels + flow).round()
    inside = (mapped[..., 0] >= 0) & (mapped[..., 0] <= w - 1) & (mapped[..., 1] >= 0) & (mapped[..., 1] <= h - 1)
    xi, yi = mapped[..., 0].clamp(0, w - 1).long(), mapped[..., 1].clamp(0, h - 1).long()
    same = lab_e[batch, yi, xi] == lab_t
    valid = known & inside & same
    return flow.permute(0, 3, 1, 2).to(semantic.dtype), valid[:, None].to(semantic.dtype)


def every_part_flow(semantic: torch.Tensor, example_semantics: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The parts' flow (B, K, 2, H, W) and validity (B, K, 1, H, W) of each frame (B, C, H, W) to each of its K
    examples (B, K, C, H, W): what ``SequentialGenerator.step(part_flows=...)`` takes where the fit runs outside the
    model (the ONNX graphs)."""
    b, k = example_semantics.shape[:2]
    flows, valid = part_flow(semantic.repeat_interleave(k, 0), example_semantics.flatten(0, 1))
    return flows.unflatten(0, (b, k)), valid.unflatten(0, (b, k))
