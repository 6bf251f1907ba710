"""vid2vid (2018) mode: the same sequential generator for a single domain, without examples.

H is a plain SPADE generator (fixed modulation weights) that starts from the semantic embedding's bottleneck.
Train one model per subject or city; `encode_examples()` takes no examples.
"""

from __future__ import annotations

import torch
from torch import nn

from vid2vid.models.config import GeneratorConfig
from vid2vid.models.outputs import Conditioning, ExampleCode


class SingleDomainAppearance(nn.Module):
    uses_examples = False
    extra_semantic_channels = 0
    num_generated = 0

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__()

    def encode(self, images: torch.Tensor | None = None, semantics: torch.Tensor | None = None) -> ExampleCode:
        return ExampleCode(None, None, conditioning=Conditioning())

    def condition(self, code: ExampleCode, semantic: torch.Tensor) -> Conditioning:
        return code.conditioning

    def decoder_input(self, semantic_bottleneck: torch.Tensor, cond: Conditioning) -> torch.Tensor:
        return semantic_bottleneck
