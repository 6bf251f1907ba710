"""The training objective: the discriminators, every loss term per frame, and the one place where terms are weighted.

Each ``*_terms`` function returns a dict of unweighted scalar terms; ``weighted_sum`` applies ``LossWeights`` and the
loop logs every term.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch
from torch import nn

from vid2vid.losses import flow as flow_losses
from vid2vid.losses.gan import d_loss, feature_matching, g_loss
from vid2vid.losses.perceptual import PerceptualLoss
from vid2vid.models.discriminator import (DiscriminatorConfig, FaceDiscriminator, ImageDiscriminator,
                                          TemporalDiscriminator, crop_boxes, face_boxes)
from vid2vid.models.outputs import FrameOutput
from vid2vid.models.prediction import label_loss
from vid2vid.errors import UserError


@dataclass(frozen=True)
class LossWeights:
    """Weights of the loss terms; defaults are the few-shot vid2vid paper's (temporal GAN weighted 0 there)."""

    gan: float = 1.0  # image GAN (hinge; LSGAN with gan_kind: lsgan)
    feature_matching: float = 10.0  # discriminator feature matching
    perceptual: float = 10.0  # VGG19 relu1_1..relu5_1 L1
    flow: float = 10.0  # L1 in pixels to the teacher flow on confident pixels (previous frame and example)
    warp: float = 10.0  # real previous frame / example warped by the predicted flow vs the real frame
    mask: float = 10.0  # masks towards 1 - confidence (generated previous frame; example correspondence validity)
    # the example's semantic map warped by the predicted example flow vs the frame's (the reference's warped
    # body-part and foreground mask terms for pose, at lambda_flow); 0 = off
    layout: float = 0.0
    raw: float = 10.0  # VGG loss on the raw decoder output h_t when the frame is a blend (compose: blend, example)
    temporal: float = 0.0  # temporal GAN over consecutive frames + flow (vid2vid; 0 in few-shot vid2vid)
    unpaired: float = 1.0  # GAN terms of the unpaired branch (data.unpaired_domains; performance cloning)
    predict: float = 1.0  # cross-entropy of the predicted next label map (generator predictor, future prediction)
    face: float = 1.0  # face-region GAN (tasks whose registry entry has the face-region discriminator)
    # the reference's other lambda_face terms: the face-region discriminator's feature matching and VGG on the face
    # crop, both at this weight (needs face > 0); 0 = off
    face_detail: float = 0.0
    gan_kind: str = "hinge"  # hinge | lsgan
    # Target of the example masks (and example_fill's): "valid" copies wherever the exact correspondence is valid;
    # "warped" also hallucinates where the example warped by the *predicted* flow is wrong (copy only where
    # clamp(1 - sum_c |warp(e) - real|) is high: the reference's target), so h_t draws what the learned warp misplaces
    example_mask: str = "valid"

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float) and v < 0:
                raise UserError(f"loss.{f.name} must be >= 0, got {v}")
        if self.gan_kind not in ("hinge", "lsgan"):
            raise UserError(f"loss.gan_kind must be 'hinge' or 'lsgan', got '{self.gan_kind}'")
        if self.face_detail > 0 and self.face == 0:
            raise UserError("loss.face_detail needs the face-region discriminator: set loss.face > 0")
        if self.example_mask not in ("valid", "warped"):
            raise UserError(f"loss.example_mask must be 'valid' or 'warped', got '{self.example_mask}'")


def weight_name(term: str) -> str:
    """The LossWeights field weighting a term: "G/flow.example" -> "flow" (prefix = network, suffix = which one)."""
    return term.split("/")[-1].split(".")[0]


def weighted_sum(terms: dict[str, torch.Tensor], weights: LossWeights) -> torch.Tensor:
    """Sum of ``weight * term`` over the terms present (names as ``weight_name`` reads them)."""
    total = None
    for name, value in terms.items():
        w = getattr(weights, weight_name(name))
        if w:
            total = w * value if total is None else total + w * value
    if total is None:
        return next(iter(terms.values())) * 0
    return total


class Discriminators(nn.Module):
    """All discriminators of a run; those with weight 0 (or not applicable to the task) are not built."""

    def __init__(self, cfg: DiscriminatorConfig, weights: LossWeights, semantic_channels: int, use_example: bool,
                 face: bool) -> None:
        super().__init__()
        self.image = ImageDiscriminator(semantic_channels, use_example, cfg.ndf, cfg.layers, cfg.scales)
        self.temporal = (TemporalDiscriminator(cfg.temporal_frames, cfg.temporal_scales, cfg.ndf, cfg.layers,
                                               cfg.scales) if weights.temporal > 0 else None)
        self.face = FaceDiscriminator(semantic_channels, ndf=cfg.ndf) if face and weights.face > 0 else None


@dataclass
class FrameContext:
    """The real data around frame t that the losses need (all (B, ...) tensors)."""

    semantic: torch.Tensor  # (B, C, H, W)
    real: torch.Tensor  # (B, 3, H, W)
    prev_real: torch.Tensor | None  # (B, 3, H, W) real frame t-1, None at t = 0
    teacher_flow: torch.Tensor | None  # (B, 2, H, W) t -> t-1, None when unknown
    example: torch.Tensor | None  # (B, 3, H, W) the example the generator warped (the discriminator's reference)
    keypoints: torch.Tensor | None  # (B, 18, 3) COCO-18 for the face discriminator
    example_flow: torch.Tensor | None = None  # (B, 2, H, W) exact flow frame t -> that example, None when unknown
    example_valid: torch.Tensor | None = None  # (B, 1, H, W) where that flow reproduces frame t
    fill_flow: torch.Tensor | None = None  # (B, 2, H, W) the same for the filling example (generator example_fill)
    fill_valid: torch.Tensor | None = None
    fill_example: torch.Tensor | None = None  # (B, 3, H, W) the filling example
    example_semantic: torch.Tensor | None = None  # (B, C, H, W) the semantic maps of the chosen example
    fill_semantic: torch.Tensor | None = None  # and of the filling example
    real_window: torch.Tensor | None = None  # (B, F, 3, H, W) real frames ending at t (temporal D)
    fake_window: torch.Tensor | None = None  # (B, F, 3, H, W) generated frames ending at t
    flow_window: torch.Tensor | None = None  # (B, F-1, 2, H, W) teacher flows inside the window
    temporal_scale: int = 0
    predicted: torch.Tensor | None = None  # (B, C, H, W) frame t's label map predicted from frames t-2, t-1


class Objective(nn.Module):
    """Computes D and G loss terms for one generated frame."""

    def __init__(self, weights: LossWeights, discriminators: Discriminators) -> None:
        super().__init__()
        self.w = weights
        self.d = discriminators
        self.perceptual = PerceptualLoss() if weights.perceptual > 0 else None

    def _face_boxes(self, ctx: FrameContext) -> torch.Tensor:
        h, w = ctx.real.shape[-2:]
        return face_boxes(ctx.keypoints, h, w)

    def d_terms(self, out: FrameOutput, ctx: FrameContext) -> dict[str, torch.Tensor]:
        fake = out.image.detach()
        kind = self.w.gan_kind
        terms = {"D/gan": d_loss(self.d.image(ctx.real, ctx.semantic, ctx.example),
                                 self.d.image(fake, ctx.semantic, ctx.example), kind)}
        if self.d.face is not None and ctx.keypoints is not None:
            boxes = self._face_boxes(ctx)
            terms["D/face"] = d_loss(self.d.face(ctx.real, ctx.semantic, boxes),
                                     self.d.face(fake, ctx.semantic, boxes), kind)
        if self.d.temporal is not None and ctx.fake_window is not None:
            s = ctx.temporal_scale
            terms["D/temporal"] = d_loss(self.d.temporal(ctx.real_window, ctx.flow_window, s),
                                         self.d.temporal(ctx.fake_window.detach(), ctx.flow_window, s), kind)
        return terms

    def g_terms(self, out: FrameOutput, ctx: FrameContext) -> dict[str, torch.Tensor]:
        kind = self.w.gan_kind
        fake_feats = self.d.image(out.image, ctx.semantic, ctx.example)
        with torch.no_grad():
            real_feats = self.d.image(ctx.real, ctx.semantic, ctx.example)
        terms = {"G/gan": g_loss(fake_feats, kind), "G/feature_matching": feature_matching(real_feats, fake_feats)}
        if self.perceptual is not None:
            target = self.perceptual.target(ctx.real)
            terms["G/perceptual"] = self.perceptual(out.image, target)
            if self.w.raw > 0 and out.hallucinated is not out.image:  # the frame is not the decoder output
                terms["G/raw"] = self.perceptual(out.hallucinated, target)
        if out.flow is not None and ctx.teacher_flow is not None and ctx.prev_real is not None:
            conf = flow_losses.teacher_confidence(ctx.prev_real, ctx.real, ctx.teacher_flow)
            terms["G/flow"] = flow_losses.flow_l1(out.flow, ctx.teacher_flow, conf)
            terms["G/warp"] = flow_losses.warp_l1(ctx.prev_real, ctx.real, out.flow, conf)
            # Copy the last output only where it, warped, already is the real frame (the reference's target); a
            # target from the real previous frame said "copy" on 97.6 % of pixels and froze errors in place. When
            # the frame is a blend, copy only where that beats what the mask would blend in instead.
            copy = conf * flow_losses.generated_confidence(out.warped, ctx.real)
            if out.blended is not None:
                copy = copy * flow_losses.better_source(out.warped, out.blended, ctx.real)
            terms["G/mask"] = flow_losses.mask_l1(out.mask, copy)
        warped_examples = [("example", out.example_flow, out.example_mask, out.example_warped, ctx.example,
                            ctx.example_semantic, ctx.example_flow, ctx.example_valid),  # the chosen one; the filler
                           ("fill", out.fill_flow, out.fill_mask, out.fill_warped, ctx.fill_example, ctx.fill_semantic,
                            ctx.fill_flow, ctx.fill_valid)]
        for name, flow, mask, warped, source, source_semantic, teacher, valid in warped_examples:
            if flow is not None and source_semantic is not None and self.w.layout > 0:
                terms[f"G/layout.{name}"] = flow_losses.layout_l1(source_semantic, ctx.semantic, flow)
            if flow is not None and teacher is not None:
                terms[f"G/flow.{name}"] = flow_losses.flow_l1(flow, teacher, valid)
                terms[f"G/warp.{name}"] = flow_losses.warp_l1(source, ctx.real, flow, valid)
                copy = valid
                if self.w.example_mask == "warped" and warped is not None:
                    copy = valid * flow_losses.generated_confidence(warped, ctx.real)
                terms[f"G/mask.{name}"] = flow_losses.mask_l1(mask, copy)
        if ctx.predicted is not None:
            terms["G/predict"] = label_loss(ctx.predicted, ctx.semantic)
        if self.d.face is not None and ctx.keypoints is not None:
            terms.update(self._face_g_terms(out.image, ctx))
        if self.d.temporal is not None and ctx.fake_window is not None:
            terms["G/temporal"] = g_loss(self.d.temporal(ctx.fake_window, ctx.flow_window, ctx.temporal_scale), kind)
        return terms

    def _face_g_terms(self, fake: torch.Tensor, ctx: FrameContext) -> dict[str, torch.Tensor]:
        """The face region's GAN term and, with ``face_detail``, its feature matching and VGG on the face crops."""
        boxes = self._face_boxes(ctx)
        fake_feats = self.d.face(fake, ctx.semantic, boxes)
        terms = {"G/face": g_loss(fake_feats, self.w.gan_kind)}
        if self.w.face_detail > 0:
            with torch.no_grad():
                real_feats = self.d.face(ctx.real, ctx.semantic, boxes)
            terms["G/face_detail.feature_matching"] = feature_matching(real_feats, fake_feats)
            if self.perceptual is not None:
                size = self.d.face.crop
                terms["G/face_detail.perceptual"] = self.perceptual(crop_boxes(fake, boxes, size),
                                                                     crop_boxes(ctx.real, boxes, size))
        return terms

    def unpaired_d_terms(self, fake: FrameOutput, fake_ctx: FrameContext, real_ctx: FrameContext
                         ) -> dict[str, torch.Tensor]:
        """The unpaired branch (performance cloning): a frame generated for another person's pose (``fake_ctx``: its
        semantic map, windows and flows; its real frames are never used) against the trained person's real frame and
        window (``real_ctx``), image and temporal discriminators only."""
        kind = self.w.gan_kind
        terms = {"D/unpaired": d_loss(self.d.image(real_ctx.real, real_ctx.semantic, None),
                                      self.d.image(fake.image.detach(), fake_ctx.semantic, None), kind)}
        if self.d.temporal is not None and fake_ctx.fake_window is not None and real_ctx.real_window is not None:
            s = fake_ctx.temporal_scale
            terms["D/unpaired.temporal"] = d_loss(
                self.d.temporal(real_ctx.real_window, real_ctx.flow_window, s),
                self.d.temporal(fake_ctx.fake_window.detach(), fake_ctx.flow_window, s), kind)
        return terms

    def unpaired_g_terms(self, fake: FrameOutput, fake_ctx: FrameContext) -> dict[str, torch.Tensor]:
        """The generator's side of ``unpaired_d_terms``: only the adversarial terms (there is no target)."""
        kind = self.w.gan_kind
        terms = {"G/unpaired": g_loss(self.d.image(fake.image, fake_ctx.semantic, None), kind)}
        if self.d.temporal is not None and fake_ctx.fake_window is not None:
            terms["G/unpaired.temporal"] = g_loss(
                self.d.temporal(fake_ctx.fake_window, fake_ctx.flow_window, fake_ctx.temporal_scale), kind)
        return terms
