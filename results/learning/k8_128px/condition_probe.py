"""Run a `vid2vid eval ...` command with every few-shot model's generated weights (E_F, E_A, E_P) computed from every
STRIDE-th example only, while all K examples still rank and compose the frame (their attention mass is taken over all
K). An inference-time probe of whether more examples than training showed (K = 8 against at most 4) cost the decoder
its accuracy (docs/learning.md, "K = 8 at 128 px: the head"):

    PYTHONPATH=src STRIDE=2 python results/learning/k8_128px/condition_probe.py eval checkpoint ..."""
import os
import sys
from dataclasses import replace

from vid2vid.models.fewshot import FewShotAppearance

stride = int(os.environ.get("STRIDE", "2"))
original = FewShotAppearance.condition


def condition(self, code, semantic):
    if code.conditioning is not None or code.keys is None or code.keys.shape[1] <= stride:
        return original(self, code, semantic)
    every = original(self, code, semantic)
    some = original(self, replace(code, image_features=code.image_features[:, ::stride],
                                  semantic_features=code.semantic_features[:, ::stride], keys=code.keys[:, ::stride],
                                  pixels=None if code.pixels is None else code.pixels[:, ::stride]), semantic)
    return replace(some, attention=every.attention, example_index=every.example_index)


FewShotAppearance.condition = condition
from vid2vid.cli.main import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
