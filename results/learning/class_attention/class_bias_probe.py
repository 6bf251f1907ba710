"""Run a `vid2vid eval ...` command with every loaded few-shot model's attention told each position's class:
score(q, k) = q.k / sqrt(d) + A * p_q . p_k, where p is the label map average-pooled to the attention's grid (the
share of each class in the position's cell). A query then takes its appearance from example positions of its own
class (A = 8: about 3,000x the weight of another class's). Labels tasks only; an inference-time experiment on a
trained model (docs/learning.md, "Streets: attention told the classes, probed at inference"):

    PYTHONPATH=src CLASS_BIAS=A python results/learning/class_attention/class_bias_probe.py eval checkpoint ..."""
import math
import os
import sys

import torch
import torch.nn.functional as F

from vid2vid.models import attention

strength = float(os.environ.get("CLASS_BIAS", "8"))
keys_of, query_of = attention.AttentionNetwork.keys_of, attention.AttentionNetwork.query_of


def _with_classes(features: torch.Tensor, semantic: torch.Tensor, query: bool) -> torch.Tensor:
    d, c = features.shape[1], semantic.shape[1]
    pooled = F.adaptive_avg_pool2d(semantic, features.shape[-2:])
    # attend() scales by 1/sqrt(width); keep q.k/sqrt(d) as trained and add strength * p_q.p_k
    width = d + c
    if query:
        return torch.cat([features * math.sqrt(width / d), pooled * math.sqrt(strength * math.sqrt(width))], 1)
    return torch.cat([features, pooled * math.sqrt(strength * math.sqrt(width))], 1)


attention.AttentionNetwork.keys_of = lambda self, s: _with_classes(keys_of(self, s), s, False)
attention.AttentionNetwork.query_of = lambda self, s: _with_classes(query_of(self, s), s, True)
from vid2vid.cli.main import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
