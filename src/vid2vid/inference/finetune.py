"""Test-time finetuning (few-shot vid2vid, Sec. 4): adapt the generator to the K examples before generating.

Each step reconstructs one example from its own semantic map, conditioned on the other examples (leave-one-out,
the default when K >= 2) or on all K, with L1 + VGG19 perceptual loss; the flow network is left as is (there is no
motion in still examples). Batch norms stay in eval mode (running statistics), so a single example per step is fine.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from vid2vid.data.landmark_flow import every_landmark_flow
from vid2vid.losses.perceptual import PerceptualLoss
from vid2vid.models.layers import inference_copy
from vid2vid.models.unroll import unroll


def finetune_on_examples(model: torch.nn.Module, examples: torch.Tensor, semantics: torch.Tensor, steps: int,
                         lr: float = 1e-4, progress: bool = True, perceptual_weight: float = 10.0,
                         leave_one_out: bool = True, landmarks: np.ndarray | None = None) -> list[float]:
    """Adapt ``model`` in place. examples (1, K, 3, H, W), semantics (1, K, C, H, W). ``leave_one_out`` (K >= 2):
    each step draws an example from the *other* examples only, as training draws a frame from examples of other
    frames (with itself among them, a model that warps examples learns to copy the one that matches).
    ``landmarks`` (K, 68, 2+): the examples' face landmarks, for a model with example flow "landmarks"."""
    if steps <= 0:
        return []
    by_landmarks = model.cfg.example_flow == "landmarks"
    if by_landmarks and landmarks is None:
        raise ValueError("a model with example flow 'landmarks' finetunes with the examples' landmarks")
    params = [p.requires_grad_(True) for name, p in model.named_parameters() if not name.startswith("flow.")]
    opt = torch.optim.Adam(params, lr=lr, betas=(0.5, 0.999))
    vgg = PerceptualLoss().to(examples.device)
    model.eval()
    k = examples.shape[1]
    losses = []
    with torch.enable_grad():
        for step in tqdm(range(steps), desc="finetune", unit="step", disable=not progress):
            i = step % k
            given = [j for j in range(k) if j != i] if leave_one_out and k > 1 else list(range(k))
            flows = None
            if by_landmarks:  # example i's flows to the examples it is drawn from
                flow, valid = every_landmark_flow(landmarks[i:i + 1], landmarks[given], *examples.shape[-2:])
                flows = (flow[None].to(examples.device), valid[None].to(examples.device))
            out = unroll(model, semantics[:, i:i + 1], examples[:, given], semantics[:, given], part_flows=flows)[0]
            target = examples[:, i]
            loss = F.l1_loss(out.image, target) + perceptual_weight * vgg(out.image, target)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
    model.requires_grad_(False)
    return losses


def adapted_copy(model: torch.nn.Module, examples: torch.Tensor, semantics: torch.Tensor, steps: int,
                 lr: float = 1e-4, leave_one_out: bool = True, landmarks: np.ndarray | None = None) -> torch.nn.Module:
    """An inference copy of trainable ``model`` finetuned ``steps`` steps on these examples; ``model`` is untouched
    (scoring finetunes afresh for each held-out clip's examples)."""
    adapted = copy.deepcopy(model)
    finetune_on_examples(adapted, examples, semantics, steps, lr, progress=False, leave_one_out=leave_one_out,
                         landmarks=landmarks)
    return inference_copy(adapted, channels_last=True)
