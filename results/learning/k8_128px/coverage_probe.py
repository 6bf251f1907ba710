"""Run a `vid2vid eval ...` command with every few-shot pose model (parts' example flow) ranking its examples per frame
by how much of the frame's body their parts' correspondence covers (the share of the driving map's drawn pixels that
are valid), instead of by attention mass: the best-covering example gives the body, the next ones fill. An
inference-time probe (docs/learning.md, "K = 8 at 128 px: the head"):

    PYTHONPATH=src python results/learning/k8_128px/coverage_probe.py eval checkpoint ..."""
import sys
from dataclasses import replace

from vid2vid.models import generator
from vid2vid.models.part_flow import every_part_flow

original_step = generator.SequentialGenerator.step


def step(self, semantic, code, prev_semantics=None, prev_frames=None, part_flows=None):
    appearance = self.appearance
    if not (self.cfg.example_fill and self.cfg.example_flow == "parts") or code.semantics.shape[1] < 2:
        return original_step(self, semantic, code, prev_semantics, prev_frames, part_flows)
    frame = semantic.to(code.semantics.dtype)
    _, valid = every_part_flow(frame, code.semantics.expand(frame.shape[0], -1, -1, -1, -1))
    drawn = (frame.abs().sum(1, keepdim=True) > 0).to(valid.dtype)[:, None]  # (B, 1, 1, H, W)
    coverage = (valid * drawn).flatten(2).sum(2) / drawn.flatten(2).sum(2).clamp(min=1)  # (B, K)
    condition = appearance.condition

    def ranked(c, s):
        cond = condition(c, s)
        return replace(cond, attention=coverage[:, :, None, None].to(cond.attention.dtype),
                       example_index=coverage.argmax(1))

    appearance.condition = ranked
    try:
        return original_step(self, semantic, code, prev_semantics, prev_frames, part_flows)
    finally:
        del appearance.condition


generator.SequentialGenerator.step = step
from vid2vid.cli.main import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
