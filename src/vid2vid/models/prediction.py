"""Future video prediction (vid2vid 2018, section 5): predict the next semantic maps of a video from the ones seen,
then render them with the video generator.

`FramePredictor` predicts frame t+1 from the last `history` frames of a sequence: a flow that carries the last frame
forward plus an occlusion mask that lets freshly predicted content in where the flow cannot (things entering the
view). For label maps (`kind="labels"`) the fresh content is a class distribution and the result a distribution over
classes; for images (`kind="pixels"`, the baseline that predicts pixels directly) it is an RGB image. The label
predictor is part of a vid2vid generator with `predictor: true` and trains with it (cross-entropy to the next real
label map, loss.predict); `rollout` feeds its own predictions back for M steps, as `vid2vid generate --predict M`
does. The 2018 paper predicts the label maps with a generator of its own kind and compares with PredNet and MCNet;
no code for it was released, so this design is ours.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from vid2vid.models.layers import ConvBlock, ResBlock, conv2d
from vid2vid.models.outputs import pad_history
from vid2vid.models.warp import warp

HISTORY = 2  # frames the predictor looks at
FLOW_SCALE = 20.0


class FramePredictor(nn.Module):
    """history (B, n, C, H, W) -> the next frame (B, C, H, W): class probabilities (labels) or an image in [-1, 1]
    (pixels); ``forward`` also returns the flow (B, 2, H, W) and the mask (B, 1, H, W) it used."""

    def __init__(self, channels: int, kind: str = "labels", base: int = 16, downsamples: int = 3, blocks: int = 2,
                 max_channels: int = 128) -> None:
        super().__init__()
        if kind not in ("labels", "pixels"):
            raise ValueError(f"predictor kind must be labels or pixels, got {kind!r}")
        self.kind, self.channels = kind, channels
        ch = [min(max_channels, base * 2**i) for i in range(downsamples + 1)]
        kw = dict(norm="instance", spectral=False)
        self.down = nn.Sequential(ConvBlock(channels * HISTORY, ch[0], **kw),
                                  *[ConvBlock(ch[i], ch[i + 1], stride=2, **kw) for i in range(downsamples)])
        self.blocks = nn.Sequential(*[ResBlock(ch[-1], **kw) for _ in range(blocks)])
        self.up = nn.Sequential(*[ConvBlock(ch[i + 1], ch[i], upsample=True, **kw)
                                  for i in reversed(range(downsamples))])
        self.flow_head = conv2d(ch[0], 2, 3)
        self.mask_head = conv2d(ch[0], 1, 3)
        self.content_head = conv2d(ch[0], channels, 3)
        self.size_multiple = 2**downsamples
        with torch.no_grad():
            self.flow_head.weight.mul_(0.1)
            self.flow_head.bias.zero_()
            self.mask_head.bias.fill_(-2.0)  # start by carrying the last frame forward

    def forward(self, history: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        history = pad_history(history, HISTORY)
        last = history[:, -1]
        x = self.up(self.blocks(self.down(history.flatten(1, 2))))
        flow = self.flow_head(x) * FLOW_SCALE
        mask = torch.sigmoid(self.mask_head(x))
        content = self.content_head(x)
        content = torch.softmax(content, dim=1) if self.kind == "labels" else torch.tanh(content)
        carried = warp(last, flow)
        return carried + mask * (content - carried), flow, mask


def label_loss(probabilities: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of predicted class probabilities (B, C, H, W) against one-hot (or soft) labels."""
    return -(target * probabilities.clamp(min=1e-6).log()).sum(1).mean()


def one_hot(probabilities: torch.Tensor) -> torch.Tensor:
    """The most likely class per pixel as a one-hot map (what the video generator was trained on)."""
    return F.one_hot(probabilities.argmax(1), probabilities.shape[1]).permute(0, 3, 1, 2).to(probabilities.dtype)


def predict_frames(predictor: FramePredictor, observed: list[torch.Tensor], steps: int) -> Iterator[torch.Tensor]:
    """The next ``steps`` frames (B, C, H, W) after the ``observed`` ones (each (B, C, H, W), oldest first), one at a
    time, each predicted from the previous ones (its own predictions included); one-hot for labels."""
    frames = list(observed)[-HISTORY:]
    with torch.no_grad():
        for _ in range(steps):
            nxt, _, _ = predictor(torch.stack(frames[-HISTORY:], dim=1))
            nxt = one_hot(nxt) if predictor.kind == "labels" else nxt
            frames = frames[1 - HISTORY:] + [nxt]
            yield nxt


def rollout(predictor: FramePredictor, observed: torch.Tensor, steps: int) -> torch.Tensor:
    """``predict_frames`` for observed (B, N, C, H, W) as one tensor (B, steps, C, H, W)."""
    return torch.stack(list(predict_frames(predictor, list(observed.unbind(1)), steps)), dim=1)
