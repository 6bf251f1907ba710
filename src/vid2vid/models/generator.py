"""The sequential generator shared by every arch: flow W and mask M, the synthesis network H, example warping,
and the appearance module that decides how examples (if any) condition H.

    code = generator.encode_examples(images, semantics)      # once per video
    out = generator.step(semantic_t, code, prev_semantics, prev_frames)  # per frame

x_t = (1 - m_t) * warp(x_{t-1}, w_t) + m_t * h'_t, where h'_t = (1 - m_e) * warp(e, w_e) + m_e * h_t with example
warping (paper eq. 11) and h'_t = h_t without (`compose: blend`). The first frame has no history: x_0 = h'_0 (as
in the paper, warping starts once a previous frame exists). With `warp_embedding` the warped example / previous
frame and their masks also modulate the finest decoder layers, like the reference's "SPADE combine" but jointly
with the semantic map (one gamma/beta from all maps, see spade.py) instead of three modulations in a row. With
`compose: spade` x_t = h_t: the warped images reach the frame only through that modulation, so a wrong warp
cannot be pasted in. `compose: example` x_t = h'_t: the warped example is blended in, the previous frame only
modulates (no resampled copy of the last output accumulates, as in blend). With `example_fill` (K >= 2) the
runner-up example by attention is warped too and fills in where the chosen one cannot show the frame (the background
its body hid): h'_t = (1 - m_e) warp(e) + m_e ((1 - m_f) warp(f) + m_f h_t); with `fill_depth` D > 2 the next
runner-ups nest the same way, each filling what those before it could not show (0: every example). With
`decoder_body` h'_t = h_t where the driving map draws (dilated): the decoder draws the body in the driving pose, the
warped examples the rest. With `enhancers` (vid2vid 2018's coarse-to-fine generator, models/enhancer.py) H and the
appearance see the maps at 1/2**active_enhancers of the frame and local enhancers bring h_t back to full size; the
flow, masks and composition stay at full size.
"""

from __future__ import annotations

from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn

from vid2vid.models.config import GeneratorConfig
from vid2vid.models.enhancer import CoarseToFine, downsample
from vid2vid.models.flow import FlowNetwork, FlowOutput
from vid2vid.models.face_refiner import FaceRefiner
from vid2vid.models.foreground import ForegroundGenerator, foreground_mask
from vid2vid.models.multimodal import ClassStyles, FeatureEncoder, paint
from vid2vid.models.outputs import ExampleCode, FrameOutput, pad_history
from vid2vid.models.part_flow import part_flow
from vid2vid.models.prediction import FramePredictor
from vid2vid.models.synthesis import SynthesisNetwork, WarpEmbedding
from vid2vid.models.warp import warp


def drawn_region(semantic: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, 1, H, W) in {0, 1}: where any channel of the map is non-zero, dilated by max(1, H // 64)
    pixels (the pose maps' part channels cover the body; the margin takes its anti-aliased edge)."""
    radius = max(1, semantic.shape[-2] // 64)
    drawn = (semantic.abs().sum(1, keepdim=True) > 0).to(semantic.dtype)
    return F.max_pool2d(drawn, 2 * radius + 1, 1, radius)


def layout_disagreement(frame_drawn: torch.Tensor, example_semantic: torch.Tensor, flow: torch.Tensor,
                        mask: torch.Tensor) -> torch.Tensor:
    """The example mask (1 = do not copy the example) raised to 1 where the example's map, warped by ``flow``, draws
    and the frame's (``drawn_region``) does not, or the reverse."""
    example_drawn = warp(drawn_region(example_semantic), flow)
    return torch.maximum(mask, (frame_drawn - example_drawn).abs().clamp(0, 1).to(mask.dtype))


def by_layout(semantic: torch.Tensor, examples: list[tuple[torch.Tensor, torch.Tensor]], flows: list[FlowOutput],
              indices: list[torch.Tensor]) -> tuple:
    """Reorder the composing examples of each batch item so that the one whose semantic map, warped by its own flow,
    matches the frame's best (mean L1) comes first (`example_order: layout`). examples: (semantic map, image) per
    composing example, flows and indices (B,) alike. The previous-frame flow and mask stay those of the first output.
    Returns the first example, the fillers, the first flow output, the second, the rest, and the two indices."""
    errors = torch.stack([(warp(s, f.example_flow) - semantic).abs().flatten(1).mean(1)
                          for (s, _), f in zip(examples, flows)], 1)  # (B, D)
    order = torch.sort(errors, dim=1, stable=True).indices  # best first per batch item; ties keep the attention's order

    def reordered(items: list[torch.Tensor]) -> list[torch.Tensor]:
        stacked = torch.stack(items, 1)  # (B, D, ...)
        index = order.view(*order.shape, *[1] * (stacked.dim() - 2)).expand(-1, -1, *stacked.shape[2:])
        return list(stacked.gather(1, index).unbind(1))

    semantics, images = reordered([s for s, _ in examples]), reordered([i for _, i in examples])
    example_flows = reordered([f.example_flow for f in flows])
    masks = reordered([f.example_mask for f in flows])
    first, second, *rest = [replace(f, example_flow=ef, example_mask=m)  # f's own previous-frame flow and mask
                            for f, ef, m in zip(flows, example_flows, masks)]
    ranked = reordered(indices)
    pairs = list(zip(semantics, images))
    return pairs[0], pairs[1:], first, second, rest, ranked[0], ranked[1]


def from_parts(flow: FlowOutput, semantic: torch.Tensor, example_semantic: torch.Tensor) -> FlowOutput:
    """``flow`` with its example flow and mask from the pose maps' part correspondence (example_flow "parts"): the
    example's own pixels where the part is matched, h_t (mask 1) elsewhere."""
    example_flow, valid = part_flow(semantic, example_semantic)
    return replace(flow, example_flow=example_flow, example_mask=1 - valid)


def picked_parts(flow: FlowOutput, part_flows: tuple[torch.Tensor, torch.Tensor], index: torch.Tensor) -> FlowOutput:
    """``from_parts`` of example ``index`` (B,) from the flows of every example fitted beforehand."""
    flows, valid = part_flows
    return replace(flow, example_flow=pick(flows, index), example_mask=1 - pick(valid, index))


def given_where_valid(flow: FlowOutput, given: tuple[torch.Tensor, torch.Tensor], index: torch.Tensor,
                      agreement: float = 0.0) -> FlowOutput:
    """``flow`` of example ``index`` (B,) with the flow fitted outside the model (example_flow "landmarks": every
    example's (B, K, 2, H, W) flow and (B, K, 1, H, W) validity) where that fit is valid, mask 0 there (the example's
    own pixels); the network's flow and mask elsewhere. ``agreement`` > 0: the fit only where it lies within that
    many pixels per 128 of the frame's height of the network's flow (``GeneratorConfig.landmark_agreement``)."""
    flows, valid = given
    fit = pick(flows, index)
    v = pick(valid, index).to(flow.example_flow.dtype)
    if agreement > 0:
        near = (fit - flow.example_flow).norm(dim=1, keepdim=True) < agreement * fit.shape[-2] / 128
        v = v * near.to(v.dtype)
    return replace(flow, example_flow=flow.example_flow + v * (fit - flow.example_flow),
                   example_mask=(1 - v) * flow.example_mask)


def pick(examples: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """examples (B, K, ...) and index (B,) -> (B, ...)."""
    return examples[torch.arange(examples.shape[0], device=examples.device), index.to(examples.device)]


class SequentialGenerator(nn.Module):
    def __init__(self, cfg: GeneratorConfig, appearance: nn.Module) -> None:
        super().__init__()
        self.cfg = cfg
        self.appearance = appearance
        self.flow = FlowNetwork(cfg)
        example_maps = cfg.warp_embedding and cfg.example_warp
        self.example_embedding = WarpEmbedding(cfg, cfg.warp_embedding_layers) if example_maps else None
        self.previous_embedding = WarpEmbedding(cfg, cfg.warp_embedding_layers) if cfg.warp_embedding else None
        num_maps = int(example_maps) + int(cfg.warp_embedding)
        self.synthesis = SynthesisNetwork(
            cfg, cfg.semantic_channels + appearance.extra_semantic_channels + cfg.multimodal_channels,
            appearance.num_generated, num_maps)
        self.style_encoder = FeatureEncoder(cfg) if cfg.multimodal_channels else None
        self.styles = ClassStyles(cfg.semantic_channels, cfg.multimodal_channels) if cfg.multimodal_channels else None
        self.foreground = ForegroundGenerator(cfg) if cfg.foreground else None
        self.enhancer = CoarseToFine(cfg) if cfg.enhancers else None
        self.face_refiner = FaceRefiner(cfg) if cfg.face_refiner else None
        self.predictor = (FramePredictor(cfg.semantic_channels, "labels", base=max(8, cfg.flow_channels),
                                         downsamples=min(3, cfg.num_downsamples)) if cfg.predictor else None)
        # enhancers in use: H runs at 1/2**active of the input; training grows it from 0 (spatial progression)
        self.active_enhancers = cfg.enhancers
        self.memory_format = torch.contiguous_format  # set to channels_last by layers.as_channels_last

    @property
    def uses_examples(self) -> bool:
        return self.appearance.uses_examples

    def _fmt(self, x: torch.Tensor | None) -> torch.Tensor | None:
        if x is None or x.dim() != 4:
            return x
        return x.contiguous(memory_format=self.memory_format)

    def _check_size(self, x: torch.Tensor) -> None:
        m = self.cfg.size_multiple // 2 ** (self.cfg.enhancers - self.active_enhancers)
        if x.shape[-1] % m or x.shape[-2] % m:
            raise ValueError(f"frame size {tuple(x.shape[-2:])} must be a multiple of {m} for this generator")

    def _down(self, factor: int, *maps: torch.Tensor) -> list[torch.Tensor]:
        return [self._fmt(downsample(m, factor)) for m in maps]

    def encode_examples(self, images: torch.Tensor | None = None, semantics: torch.Tensor | None = None,
                        style_seed: int | None = None) -> ExampleCode:
        """images (B, K, 3, H, W) in [-1, 1] and semantics (B, K, C, H, W) -> everything that depends only on the
        examples. K is free at run time. The single-domain generator takes none; with multimodal_channels its code
        holds the per-class features: a draw from the fitted class styles for ``style_seed``, else their mean."""
        if not self.uses_examples:
            code = self.appearance.encode()
            if self.styles is not None:
                code.class_features = (self.styles.mean() if style_seed is None
                                       else self.styles.sample(style_seed)).unsqueeze(0)
            return code
        if images is None or semantics is None:
            raise ValueError(f"the {self.cfg.arch} generator needs example images and their semantic maps")
        if images.dim() != 5 or semantics.shape[:2] != images.shape[:2] or semantics.shape[-2:] != images.shape[-2:]:
            raise ValueError(f"examples {tuple(images.shape)} and semantics {tuple(semantics.shape)} must be "
                             f"(B, K, 3, H, W) and (B, K, C, H, W)")
        self._check_size(images)
        fmt = self.memory_format
        images, semantics = images.contiguous(), semantics.contiguous()
        if fmt == torch.channels_last:  # keep the (B, K) layout but make each example channels-last
            images = images.flatten(0, 1).contiguous(memory_format=fmt).unflatten(0, images.shape[:2])
            semantics = semantics.flatten(0, 1).contiguous(memory_format=fmt).unflatten(0, semantics.shape[:2])
        factor = 2 ** self.active_enhancers  # the appearance conditions H, which runs at 1/factor of the frame
        code = self.appearance.encode(downsample(images, factor), downsample(semantics, factor))
        if factor > 1:  # example warping works on the full-resolution examples
            code.images, code.semantics = images, semantics
        return code

    def step(self, semantic: torch.Tensor, code: ExampleCode, prev_semantics: torch.Tensor | None = None,
             prev_frames: torch.Tensor | None = None,
             part_flows: tuple[torch.Tensor, torch.Tensor] | None = None) -> FrameOutput:
        """Generate one frame. semantic (B, C, H, W); prev_semantics (B, m, C, H, W) and prev_frames
        (B, m, 3, H, W), oldest first, or None on the first frame (m < n is padded by repeating the oldest).
        ``part_flows``: with example_flow "parts", every example's fit from ``every_part_flow`` (else fitted here);
        with "landmarks", every example's fit from its landmarks (``data.landmark_flow``; required)."""
        self._check_size(semantic)
        cfg = self.cfg
        semantic = self._fmt(semantic)
        has_prev = prev_frames is not None
        if has_prev != (prev_semantics is not None):
            raise ValueError("pass prev_semantics and prev_frames together")
        if has_prev:
            prev_semantics = pad_history(prev_semantics, cfg.num_prev_frames)
            prev_frames = pad_history(prev_frames, cfg.num_prev_frames)
        factor = 2 ** self.active_enhancers
        semantic_h = self._fmt(downsample(semantic, factor))  # what H sees: the frame's maps at H's scale
        cond = self.appearance.condition(code, semantic_h)

        example = example_semantic = None
        if cfg.example_warp:
            example = self._fmt(pick(code.images, cond.example_index))
            example_semantic = self._fmt(pick(code.semantics, cond.example_index))
        fill_index = fill = None
        fillers: list[tuple[torch.Tensor, torch.Tensor]] = []  # (semantic map, image) of each runner-up, best first
        if cfg.example_fill and cond.attention is not None:  # K >= 2: the runner-ups by attention mass fill in
            mass = cond.attention.flatten(2).sum(2)
            ranked = mass.topk(min(cfg.fill_depth or mass.shape[1], mass.shape[1]), dim=1).indices
            fill_index = ranked[:, 1]
            fillers = [(self._fmt(pick(code.semantics, ranked[:, i])), self._fmt(pick(code.images, ranked[:, i])))
                       for i in range(1, ranked.shape[1])]
        flow = None
        extra: list[FlowOutput] = []  # the flow outputs of the runner-ups after the first (fill_depth > 2)
        example_index = cond.example_index
        # With example_flow "parts" the network's example flows are replaced below, so the runner-ups need no pass of
        # their own unless the layout order ranks the examples by those flows.
        if fillers and (cfg.example_flow != "parts" or cfg.example_order == "layout"):
            # every example in one pass of the flow network (batch of D x B)
            flow, fill, *extra = self._flow_many(semantic, prev_semantics, prev_frames,
                                                 [(example_semantic, example), *fillers])
            if cfg.example_order == "layout":
                indices = [example_index, *(ranked[:, i] for i in range(1, ranked.shape[1]))]
                (example_semantic, example), fillers, flow, fill, extra, example_index, fill_index = by_layout(
                    semantic, [(example_semantic, example), *fillers], [flow, fill, *extra], indices)
        elif has_prev or cfg.example_warp:
            flow = self.flow(semantic, prev_semantics, prev_frames, example_semantic, example)
        if cfg.example_flow == "landmarks":  # the landmarks' fit where valid, the network's flow elsewhere
            if part_flows is None:
                raise ValueError("example_flow 'landmarks' needs every example's flow fitted from the landmarks "
                                 "(part_flows)")
            if cfg.example_order == "layout":
                raise ValueError("fitted landmark flows follow the attention's order, not example_order 'layout'")
            flow = given_where_valid(flow, part_flows, example_index, cfg.landmark_agreement)
            fill, *extra = [given_where_valid(f, part_flows, ranked[:, i], cfg.landmark_agreement)
                            for i, f in enumerate([fill, *extra], 1)] if fillers else [None]
        elif cfg.example_flow == "parts" and part_flows is not None:  # fitted beforehand for every example
            if cfg.example_order == "layout":
                raise ValueError("fitted part flows follow the attention's order, not example_order 'layout'")
            flow = picked_parts(flow, part_flows, example_index)
            fill, *extra = [picked_parts(flow, part_flows, ranked[:, i]) for i in range(1, len(fillers) + 1)] or [None]
        elif cfg.example_flow == "parts":  # each example's flow and mask from the maps' part correspondence
            flow = from_parts(flow, semantic, example_semantic)  # (the previous-frame flow stays the network's)
            fill, *extra = [from_parts(flow, semantic, s) for s, _ in fillers] or [None]

        warped = example_warped = fill_warped = None
        if has_prev:
            warped = self._fmt(warp(prev_frames[:, -1], flow.flow))
        if cfg.example_warp:
            example_warped = self._fmt(warp(example, flow.example_flow))
        if cfg.layout_gate:  # an example's pixels only where its warped map agrees with the frame's
            frame_drawn = drawn_region(semantic)
            flow = replace(flow, example_mask=layout_disagreement(
                frame_drawn, example_semantic, flow.example_flow, flow.example_mask))
            gated = [replace(f, example_mask=layout_disagreement(frame_drawn, s, f.example_flow, f.example_mask))
                     for f, (s, _) in zip([fill, *extra], fillers)]
            if gated:
                fill, *extra = gated
        shown, shown_mask = example_warped, flow.example_mask if cfg.example_warp else None  # what the examples give
        layers = []  # (warped, mask) of each example that composes the frame, chosen first (example_fill)
        if fill is not None:
            layers = [(example_warped, flow.example_mask),
                      *((self._fmt(warp(image, f.example_flow)), f.example_mask)
                        for f, (_, image) in zip([fill, *extra], fillers))]
            fill_warped = layers[1][0]
            shown, shown_mask = layers[-1]
            for layer_warped, layer_mask in reversed(layers[:-1]):  # each fills what those before it cannot show
                shown = layer_warped + layer_mask * (shown - layer_warped)
                shown_mask = layer_mask * shown_mask
        warp_maps = []
        if self.example_embedding is not None:
            if cfg.embedding_gate:  # what the masks reject (a hidden background) must not show through the decoder
                shown = shown * (1 - shown_mask)
            warp_maps.append(self.example_embedding(*self._down(factor, shown, shown_mask)))
        if self.previous_embedding is not None:
            warp_maps.append(self.previous_embedding(*self._down(factor, warped, flow.mask)) if has_prev else None)

        h_input = semantic_h
        if self.appearance.extra_semantic_channels:  # ConcatStyle's tiled style, few-shot's attended colours
            h_input = self._fmt(torch.cat([semantic_h, self.appearance.semantic_extra(cond, semantic_h)], dim=1))
        if self.style_encoder is not None:  # multimodal: the per-class features painted onto the label map
            if code.class_features is None:
                raise ValueError("this multimodal generator needs per-class features in its code")
            features = code.class_features.expand(semantic_h.shape[0], -1, -1)
            h_input = self._fmt(torch.cat([h_input, paint(semantic_h, features)], dim=1))
        semantic_maps = self.synthesis.embedding(h_input, cond.embed_weights)
        x = self.appearance.decoder_input(semantic_maps[-1], cond)
        if factor == 1:
            hallucinated = self.synthesis(x, semantic_maps, warp_maps, cond.block_weights, cond.adain)
        else:  # coarse-to-fine: the local enhancers take H's features back to the frame's resolution
            features = self.synthesis.features(x, semantic_maps, warp_maps, cond.block_weights, cond.adain)
            hallucinated = self.enhancer(features, semantic, self.active_enhancers)

        image = hallucinated  # compose "spade": the warped images already shaped h_t through the modulation
        blended = None
        if cfg.compose != "spade" and cfg.example_warp:
            image = hallucinated
            for layer_warped, layer_mask in reversed(layers or [(example_warped, flow.example_mask)]):
                image = layer_warped + layer_mask * (image - layer_warped)  # (1 - m) warp(example) + m (what is below)
            if cfg.decoder_body:  # the body where the driving map draws comes from h_t
                image = torch.where(drawn_region(semantic) > 0, hallucinated, image)
        if cfg.compose == "blend":
            blended = image
            if has_prev:
                image = warped + flow.mask * (blended - warped)  # (1 - m_t) * warp(x_{t-1}) + m_t * h'_t
        foreground = None
        if self.foreground is not None:  # x_t = fg * h_F + (1 - fg) * x_B; the raw output likewise from h_B
            foreground = self.foreground(semantic)
            fg = foreground_mask(semantic, cfg.foreground_channels)
            image = image + fg * (foreground - image)
            hallucinated = hallucinated + fg * (foreground - hallucinated)
        if self.face_refiner is not None:  # Everybody Dance Now: the head region refined by its own residual net
            image = self.face_refiner(image, semantic)
        return FrameOutput(
            image=image, hallucinated=hallucinated, blended=blended,
            flow=flow.flow if has_prev else None, mask=flow.mask if has_prev else None, warped=warped,
            example_flow=flow.example_flow if cfg.example_warp else None,
            example_mask=flow.example_mask if cfg.example_warp else None,
            example_warped=example_warped, attention=cond.attention, example_index=example_index,
            foreground=foreground, fill_flow=None if fill is None else fill.example_flow,
            fill_mask=None if fill is None else fill.example_mask, fill_warped=fill_warped, fill_index=fill_index)

    def _flow_many(self, semantic: torch.Tensor, prev_semantics: torch.Tensor | None,
                   prev_frames: torch.Tensor | None, examples: list[tuple[torch.Tensor, torch.Tensor]]
                   ) -> list[FlowOutput]:
        """The flow network on several examples, each (semantic map, image), at once: one output per example, in
        order."""
        n = len(examples)

        def repeated(x: torch.Tensor | None) -> torch.Tensor | None:
            return None if x is None else torch.cat([x] * n)

        out = self.flow(repeated(semantic), repeated(prev_semantics), repeated(prev_frames),
                        torch.cat([s for s, _ in examples]), torch.cat([i for _, i in examples]))
        parts = [t.chunk(n) for t in (out.flow, out.mask, out.example_flow, out.example_mask)]
        return [FlowOutput(*(p[i] for p in parts)) for i in range(n)]

    def forward(self, semantic: torch.Tensor, examples: torch.Tensor | None = None,
                example_semantics: torch.Tensor | None = None, prev_semantics: torch.Tensor | None = None,
                prev_frames: torch.Tensor | None = None) -> FrameOutput:
        """One frame from scratch (examples encoded inside); for video use `unroll` / `Stream`."""
        return self.step(semantic, self.encode_examples(examples, example_semantics), prev_semantics, prev_frames)
