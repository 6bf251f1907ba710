"""Shared pieces of the two metric networks (keypoint detector, segmentation net): a dataset split's frames in memory,
photometric augmentation that mimics generated frames, weight files (safetensors, written atomically), their common
U-Net pass and batched inference."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import save_file

from vid2vid.data.layout import DatasetMeta, clip_dirs, frame_name, read_clip_frames, read_meta, read_png
from vid2vid.errors import UserError
from vid2vid.files import atomic_path


@dataclass(frozen=True)
class SplitFrames:
    """Every ``frame_step``-th frame of every clip of one split, as arrays."""

    meta: DatasetMeta
    rgb: np.ndarray  # (N, H, W, 3) uint8
    labels: np.ndarray | None  # (N, H, W) uint8 label ids (semantic == "labels") else None
    keypoints: np.ndarray | None  # (N, J, 3) float32 x, y, visible (datasets with keypoints) else None

    def __len__(self) -> int:
        return len(self.rgb)

    def images(self, index: np.ndarray | slice) -> torch.Tensor:
        """Frames ``index`` as (n, 3, H, W) float in [-1, 1]."""
        return torch.from_numpy(self.rgb[index]).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def load_split(root: str | Path, split: str, frame_step: int = 1, max_frames: int | None = None) -> SplitFrames:
    """Read one split of a dataset folder (layout in ``vid2vid.data.layout``) into memory."""
    meta = read_meta(root)
    if split not in meta.splits:
        raise UserError(f"{root}: no split '{split}' in dataset.json (has {', '.join(meta.splits)})")
    rgb, labels, keypoints = [], [], []
    for domain in meta.splits[split]:
        for clip in clip_dirs(root, split, domain):
            frames = list(range(0, read_clip_frames(clip), frame_step))
            kp = np.load(clip / "keypoints.npy") if (clip / "keypoints.npy").exists() else None
            for f in frames:
                rgb.append(read_png(clip / "rgb" / frame_name(f), 3))
                if meta.semantic == "labels":
                    labels.append(read_png(clip / "semantic" / frame_name(f), 1)[:, :, 0])
                if kp is not None:
                    keypoints.append(kp[f])
    if not rgb:
        raise UserError(f"{root}/{split} holds no frames")
    take = slice(None) if max_frames is None else np.linspace(0, len(rgb) - 1, min(max_frames, len(rgb))).astype(int)

    def pick(xs: list[np.ndarray]) -> np.ndarray | None:
        return np.stack(xs)[take] if xs else None

    kps = pick(keypoints)
    return SplitFrames(meta, pick(rgb), pick(labels), None if kps is None else kps.astype(np.float32))


def photometric_augment(x: torch.Tensor, generator: torch.Generator, channel_swap: float = 0.5) -> torch.Tensor:
    """Random colour changes (RGB channel permutation with probability ``channel_swap``, per-channel gain and
    offset), blur and noise on (B, 3, H, W) images in [-1, 1], so the metric networks do not rely on one domain's
    exact colours and still work on the blurrier, noisier frames a generator produces."""
    b = x.shape[0]

    def rand(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=generator)

    perm = torch.stack([torch.randperm(3, generator=generator) for _ in range(b)])
    swap = rand(b) < channel_swap
    x = torch.where(swap.view(b, 1, 1, 1), torch.gather(x, 1, perm.view(b, 3, 1, 1).expand_as(x)), x)
    gain = 0.7 + 0.6 * rand(b, 3, 1, 1)
    bias = 0.3 * (rand(b, 3, 1, 1) - 0.5)
    x = x * gain + bias
    sigma = 1.5 * rand(b) * (rand(b) < 0.5)
    x = gaussian_blur(x, sigma)
    x = x + torch.randn(x.shape, generator=generator) * (0.08 * rand(b, 1, 1, 1))
    return x.clamp(-1, 1)


def gaussian_blur(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Per-image Gaussian blur (sigma (B,) in pixels; 0 leaves the image unchanged), 5-tap separable."""
    b, c, h, w = x.shape
    taps = torch.arange(-2, 3, dtype=x.dtype)
    k = torch.exp(-(taps**2) / (2 * sigma.clamp(min=1e-3).view(b, 1) ** 2))
    k = (k / k.sum(1, keepdim=True)).repeat_interleave(c, 0)  # (B*C, 5)
    y = x.reshape(1, b * c, h, w)
    y = F.conv2d(F.pad(y, (2, 2, 0, 0), mode="replicate"), k.view(b * c, 1, 1, 5), groups=b * c)
    y = F.conv2d(F.pad(y, (0, 0, 2, 2), mode="replicate"), k.view(b * c, 1, 5, 1), groups=b * c)
    return y.view(b, c, h, w)


def save_net(path: str | Path, model: torch.nn.Module, config: dict) -> Path:
    """Write the model's state_dict and its constructor arguments to a safetensors file (temp file + rename)."""
    path = Path(path)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(state, str(tmp), metadata={"config": json.dumps(config)})
    return path


def load_net_state(path: str | Path) -> tuple[dict[str, torch.Tensor], dict]:
    """(state_dict, constructor arguments) from a file written by ``save_net``."""
    if not Path(path).is_file():
        raise UserError(f"metric network weights not found: {path}")
    with safe_open(str(path), framework="pt", device="cpu") as f:
        config = json.loads((f.metadata() or {}).get("config", "{}"))
        state = {k: f.get_tensor(k) for k in f.keys()}
    return state, config


def cosine_lr(step: int, steps: int, lr: float, warmup: int = 50) -> float:
    """Learning rate with a linear warm-up and cosine decay to 5 % of ``lr``."""
    if step < warmup:
        return lr * (step + 1) / warmup
    t = (step - warmup) / max(steps - warmup, 1)
    return lr * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * min(t, 1.0))))


def optimise(opt: torch.optim.Optimizer, loss: torch.Tensor, lr: float) -> float:
    """One optimiser step on ``loss`` at learning rate ``lr``; returns the loss value."""
    for group in opt.param_groups:
        group["lr"] = lr
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return float(loss.detach())


def unet_features(net: torch.nn.Module, x: torch.Tensor, mode: str) -> torch.Tensor:
    """The metric nets' U-Net pass: ``x`` padded (replicate) to a multiple of 16, through ``net.enc0..enc3`` (strides
    2 .. 16) and back through ``net.dec2..dec0`` with skip connections, upsampling by ``mode``; features at stride 2."""
    h, w = x.shape[-2:]
    pad_h, pad_w = -h % 16, -w % 16
    if pad_h or pad_w:
        x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
    e0 = net.enc0(x)
    e1 = net.enc1(e0)
    e2 = net.enc2(e1)
    d = net.enc3(e2)
    for dec, skip in ((net.dec2, e2), (net.dec1, e1), (net.dec0, e0)):
        d = dec(torch.cat([F.interpolate(d, scale_factor=2.0, mode=mode), skip], 1))
    return d


@torch.no_grad()
def batched_eval(net: torch.nn.Module, images: torch.Tensor, batch_size: int,
                 head: Callable[[torch.Tensor], torch.Tensor], empty: torch.Tensor) -> torch.Tensor:
    """``head(net(batch))`` over ``images`` in batches on the net's device, in eval mode (its mode is restored after),
    concatenated on the CPU; ``empty`` when there are no images."""
    was_training = net.training
    net.eval()
    device = next(net.parameters()).device
    out = [head(net(images[i:i + batch_size].to(device))).cpu() for i in range(0, len(images), batch_size)]
    net.train(was_training)
    return torch.cat(out) if out else empty


def finish_net(model: torch.nn.Module, out: str | Path | None) -> torch.nn.Module:
    """End of a metric net's training: eval mode, saved to ``out`` (safetensors, atomic) when given."""
    model.eval()
    if out is not None:
        save_net(out, model, model.config())
    return model


def load_net(cls: type, path: str | Path) -> torch.nn.Module:
    """A metric net of class ``cls`` saved by ``finish_net``, in eval mode on the CPU."""
    state, config = load_net_state(path)
    model = cls(**config)
    model.load_state_dict(state)
    return model.eval()
