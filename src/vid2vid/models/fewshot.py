"""Few-shot vid2vid's network weight generation module E = (E_F, E_P, E_A), as the generator's appearance module.

K = 1 (without `attend_single_example`): everything (E_F features, q^l, the generated weights, the decoder input)
depends only on the example and is computed once in `encode`. Otherwise the attention query comes from the current
frame, so `encode` keeps the E_F features at the attention level and the keys, and `condition` runs, per frame, the
query encoder, one memory-efficient attention call, the rest of E_F, and E_P. With `attention_image` the same call
also attends the examples' pooled pixels: the colour layout it gives joins H's semantic input (`semantic_extra`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vid2vid.models.attention import AttentionNetwork, attend
from vid2vid.models.config import GeneratorConfig
from vid2vid.models.embedding import ExampleEncoder, WeightGenerator
from vid2vid.models.outputs import Conditioning, ExampleCode


class FewShotAppearance(nn.Module):
    uses_examples = True
    extra_semantic_channels = 0

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__()
        self.num_generated = cfg.num_adaptive_layers
        self.levels = cfg.num_downsamples
        self.attention_level = cfg.attention_downsamples
        self.encoder = ExampleEncoder(cfg)  # E_F
        self.weights = WeightGenerator(cfg)  # E_P
        self.attention = AttentionNetwork(cfg)  # E_A
        self.colours = cfg.attention_image
        self.extra_semantic_channels = cfg.image_channels if self.colours else 0
        self.attend_single = cfg.attend_single_example or self.colours  # the colour layout needs the attention
        self.start_semantic = cfg.decoder_start == "semantic"

    def encode(self, images: torch.Tensor, semantics: torch.Tensor) -> ExampleCode:
        """images (B, K, 3, H, W), semantics (B, K, C, H, W) -> the example-only part of the conditioning."""
        b, k = images.shape[:2]
        flat_images, flat_semantics = images.flatten(0, 1), semantics.flatten(0, 1)
        if k == 1 and not self.attend_single:
            image, semantic = self.encoder.down(flat_images, flat_semantics, 0, self.levels)
            index = torch.zeros(b, dtype=torch.long, device=images.device)
            return ExampleCode(images, semantics, conditioning=self._generate(image, semantic, None, index))
        image, semantic = self.encoder.down(flat_images, flat_semantics, 0, self.attention_level)
        keys = self.attention.keys_of(flat_semantics)
        pixels = None
        if self.colours:
            pixels = F.avg_pool2d(flat_images, 2 ** self.attention_level).unflatten(0, (b, k))
        return ExampleCode(images, semantics, image_features=image.unflatten(0, (b, k)),
                           semantic_features=semantic.unflatten(0, (b, k)), keys=keys.unflatten(0, (b, k)),
                           pixels=pixels)

    def condition(self, code: ExampleCode, semantic: torch.Tensor) -> Conditioning:
        """The per-frame conditioning: cached for K = 1, attention + rest of E_F + E_P for K >= 2."""
        if code.conditioning is not None:
            return code.conditioning
        query = self.attention.query_of(semantic)
        values = [code.image_features, code.semantic_features] + ([code.pixels] if self.colours else [])
        (image, sem, *colours), mass = attend(query, code.keys, values)
        image, sem = self.encoder.down(image, sem, self.attention_level, self.levels)
        index = mass.flatten(2).sum(2).argmax(1)
        cond = self._generate(image, sem, mass if mass.shape[1] > 1 else None, index)  # K = 1: all ones, no news
        cond.colours = colours[0] if colours else None
        return cond

    def semantic_extra(self, cond: Conditioning, semantic: torch.Tensor) -> torch.Tensor:
        """attention_image: the attended example colours (B, 3, h, w), upsampled to ``semantic``'s size."""
        return F.interpolate(cond.colours, size=semantic.shape[-2:], mode="bilinear", align_corners=False)

    def _generate(self, image: torch.Tensor, semantic: torch.Tensor, mass: torch.Tensor | None,
                  index: torch.Tensor) -> Conditioning:
        embed, blocks = self.weights(self.encoder.appearance(image, semantic))
        return Conditioning(bottleneck=image, embed_weights=embed, block_weights=blocks, attention=mass,
                            example_index=index)

    def decoder_input(self, semantic_bottleneck: torch.Tensor, cond: Conditioning) -> torch.Tensor:
        """The decoder starts from the (attended) example's bottleneck features, as in the reference, or with
        `decoder_start: semantic` from the current semantic map's (as the baselines). (Fusing the two by a 1x1 conv
        was measured worse on dancers: docs/learning.md.)"""
        return semantic_bottleneck if self.start_semantic else cond.bottleneck
