"""`Pipeline`: load a checkpoint once, encode K examples once, then generate frames one at a time.

    pipe = Pipeline.from_checkpoint("model.pt")
    pipe.set_examples(images, semantics)        # RGB uint8 arrays + encoded semantic maps, encoded once
    for frame in pipe.generate(driving):          # driving: iterable of (C, H, W) semantic tensors
        frame.image                                # (H, W, 3) uint8

A face model loaded with example_flow "landmarks" also takes the 68 landmarks of each example (``set_examples``) and
of each driving frame (driving items ``(semantic, landmarks)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import torch

from vid2vid.checkpoint import load_generator
from vid2vid.data.landmark_flow import every_landmark_flow, require_landmarks
from vid2vid.data.layout import DatasetMeta
from vid2vid.data.semantics import decode_image, encode_image, encode_semantic
from vid2vid.devices import pick_device
from vid2vid.errors import UserError
from vid2vid.models.config import GeneratorConfig, build_generator, for_inference
from vid2vid.models.layers import inference_copy
from vid2vid.models.part_flow import require_part_channels
from vid2vid.models.unroll import Stream


History = tuple[torch.Tensor, torch.Tensor]  # (previous semantic maps, previous generated frames)


@dataclass
class GeneratedFrame:
    image: np.ndarray  # (H, W, 3) uint8 RGB
    attention: np.ndarray | None  # (K, h, w) float: share of each example per region (K >= 2), else None
    example_index: int | None  # the example warped into this frame (few-shot with example warping)


class Pipeline:
    """A generator ready for inference, with the dataset description it was trained on (task, size, encoding)."""

    def __init__(self, generator: torch.nn.Module, gcfg: GeneratorConfig, meta: DatasetMeta,
                 device: str | torch.device = "cpu", source: str = "") -> None:
        self.train_model = generator.to(device).eval()  # the trainable form (finetuning adapts it)
        self.model = inference_copy(self.train_model, channels_last=True)  # spectral norm and batch norm folded
        self.gcfg, self.meta, self.device, self.source = gcfg, meta, torch.device(device), source
        self.examples: torch.Tensor | None = None
        self.example_semantics: torch.Tensor | None = None
        self.example_landmarks: np.ndarray | None = None  # (K, 68, 2+) with example_flow "landmarks"
        self._stream: Stream | None = None
        self.style_seed: int | None = None  # a multimodal model's look (set_style)
        self.onnx = None  # an OnnxGenerator once use_onnx() was called
        self._onnx_history: History | None = None

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "auto", weights: str = "ema",
                        fill_depth: int | None = 0, example_flow: str | None = None) -> "Pipeline":
        """Load a training checkpoint (.pt) or an exported generator (.safetensors, `vid2vid export`); ``weights``
        picks the EMA (default) or raw generator of a training checkpoint. ``fill_depth``: how many of the examples,
        ranked by attention, compose a frame of a model with example_fill (0, the default: every example; measured
        better than the two such models train with, docs/learning.md; None: the checkpoint's own setting).
        ``example_flow``: learned, parts (computed from the pose maps' part channels) or landmarks (fitted from the
        face landmarks; ``set_examples`` and ``generate`` then take them) instead of the checkpoint's."""
        tensors, generator_config, dataset = load_generator(path, weights)
        try:
            gcfg = GeneratorConfig(**generator_config)
            meta = DatasetMeta(**dataset)
        except TypeError as err:
            raise UserError(f"{path} was written by another vid2vid version ({err})") from None
        gcfg = for_inference(gcfg, fill_depth, example_flow)
        if gcfg.example_flow == "parts":
            require_part_channels(str(path), meta.task, meta.semantic_channels)
        if gcfg.example_flow == "landmarks":
            require_landmarks(str(path), meta.task, meta.keypoints)
        model = build_generator(gcfg)
        try:
            model.load_state_dict({k: v.float() for k, v in tensors.items()})
        except RuntimeError as err:
            raise UserError(f"{path} does not match this version's {gcfg.arch} generator "
                            f"({str(err).splitlines()[1].strip()[:120]}...); "
                            "retrain or use a matching vid2vid version") from None
        return cls(model, gcfg, meta, pick_device(device), source=str(path))

    @property
    def task(self) -> str:
        return self.meta.task

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) the model was trained at."""
        return self.meta.height, self.meta.width

    @property
    def uses_examples(self) -> bool:
        return bool(self.model.uses_examples)

    def encode_semantic(self, semantic: np.ndarray, parts: np.ndarray | None = None) -> torch.Tensor:
        """Stored-format uint8 maps -> the model's (C, H, W) input (see ``data.semantics.encode_semantic``)."""
        return encode_semantic(self.meta, semantic, parts)

    @property
    def uses_landmarks(self) -> bool:
        """Whether the examples are warped by the face landmarks (example_flow "landmarks"): ``set_examples`` and
        every driving frame then need them."""
        return self.gcfg.example_flow == "landmarks"

    def set_examples(self, images: Sequence[np.ndarray], semantics: Sequence[torch.Tensor],
                     landmarks: Sequence[np.ndarray] | None = None) -> None:
        """K example images (H, W, 3) uint8 at the model's size with their encoded semantic maps; encoded once.
        ``landmarks``: each example's (68, 2+) face landmarks in pixels (needed where ``uses_landmarks``)."""
        if not self.uses_examples:
            if images:
                raise UserError(f"{self.source}: this is a single-domain vid2vid model; it takes no examples")
            return
        if not images:
            raise UserError("few-shot generation needs at least one example image (--examples)")
        if len(images) != len(semantics):
            raise ValueError("one semantic map per example image")
        h, w = self.size
        for i, (img, sem) in enumerate(zip(images, semantics)):
            if img.shape[:2] != (h, w) or tuple(sem.shape[-2:]) != (h, w):
                raise UserError(f"example {i + 1} is {img.shape[1]}x{img.shape[0]}; the model needs {w}x{h} "
                                "(prepare examples with the same framing as the driving video)")
        self.examples = torch.stack([encode_image(i) for i in images]).unsqueeze(0).to(self.device)
        self.example_semantics = torch.stack(list(semantics)).unsqueeze(0).to(self.device)
        self.example_landmarks = None
        if self.uses_landmarks:
            if landmarks is None or len(landmarks) != len(images):
                raise UserError(f"{self.source}: example flow 'landmarks' warps each example by its face landmarks; "
                                "give examples that have them (prepared face frames or photos), or load the model "
                                "with example flow learned")
            self.example_landmarks = np.stack([np.asarray(p, np.float32) for p in landmarks])

    def set_style(self, seed: int | None) -> None:
        """A multimodal vid2vid model's look: a draw from its per-class feature distributions for ``seed`` (the same
        seed gives the same look), or None for their mean."""
        styles = getattr(self.model, "styles", None)
        if seed is not None and styles is None:
            raise UserError(f"{self.source}: --style-seed needs a multimodal model (trained with multimodal_channels)")
        if seed is not None and not bool(styles.fitted):
            raise UserError(f"{self.source}: this model's class styles were never fitted (its training stopped "
                            "before the end); finish it with `vid2vid train --resume`")
        self.style_seed = seed

    def continue_predicted(self, driving: Iterable[tuple[torch.Tensor, np.ndarray]], steps: int
                           ) -> Iterator[tuple[torch.Tensor, np.ndarray]]:
        """The (semantic, preview) driving stream followed by ``steps`` label maps predicted from its last ones by
        the model's predictor (future prediction), streamed one at a time."""
        if getattr(self.model, "predictor", None) is None:
            raise UserError(f"{self.source}: --predict needs a model trained with a predictor (model.predictor: true, "
                            "e.g. the street-vid2vid-predict-small config)")
        if steps < 0:
            raise UserError(f"--predict must be >= 0, got {steps}")
        return self._continued(driving, steps)

    def _continued(self, driving: Iterable[tuple[torch.Tensor, np.ndarray]], steps: int
                   ) -> Iterator[tuple[torch.Tensor, np.ndarray]]:
        from vid2vid.data.preview import semantic_to_rgb
        from vid2vid.models.prediction import HISTORY, predict_frames

        recent: list[torch.Tensor] = []
        for semantic, preview in driving:
            recent = (recent + [semantic])[-HISTORY:]
            yield semantic, preview
        if not recent:
            return
        with torch.inference_mode():
            observed = [s.unsqueeze(0).to(self.device).float() for s in recent]
            for predicted in predict_frames(self.model.predictor, observed, steps):
                ids = predicted[0].argmax(0).to(torch.uint8).cpu().numpy()[:, :, None]
                yield predicted[0].cpu(), semantic_to_rgb(self.meta, ids)

    def _check_semantic(self, semantic: torch.Tensor) -> None:
        c, h, w = semantic.shape
        if c != self.meta.semantic_channels or (h, w) != self.size:
            raise UserError(f"driving semantic map is {c}x{h}x{w}; this {self.task} model needs "
                            f"{self.meta.semantic_channels}x{self.size[0]}x{self.size[1]}")

    def _landmark_flows(self, item: torch.Tensor | tuple[torch.Tensor, np.ndarray | None]
                        ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """A driving item's semantic map and its flows (1, K, 2, H, W) and validity to the examples, fitted from the
        landmarks of both; a frame whose landmarks are None (no face found yet) is all invalid (the learned flow)."""
        if not isinstance(item, tuple):
            raise UserError(f"{self.source}: example flow 'landmarks' needs each driving frame's face landmarks; "
                            "drive it with a prepared face clip or a video (or use example flow learned)")
        semantic, landmarks = item
        k, (h, w) = len(self.example_landmarks), self.size
        if landmarks is None:
            return semantic, (torch.zeros(1, k, 2, h, w, device=self.device),
                              torch.zeros(1, k, 1, h, w, device=self.device))
        flows, valid = every_landmark_flow(np.asarray(landmarks)[None], self.example_landmarks, h, w)
        return semantic, (flows.to(self.device), valid.to(self.device))

    @torch.inference_mode()
    def generate(self, driving: Iterable[torch.Tensor | tuple[torch.Tensor, np.ndarray]],
                 history: History | None = None) -> Iterator[GeneratedFrame]:
        """Stream frames for an iterable of (C, H, W) semantic maps (or (semantic, landmarks) pairs, where
        ``uses_landmarks``); memory does not grow with length. ``history`` (from ``history()`` of an earlier run)
        continues that run exactly where it stopped."""
        if self.uses_examples and self.examples is None:
            raise UserError("call set_examples(...) before generate(...)")
        if self.onnx is not None:
            yield from self._generate_onnx(driving, history)
            return
        stream = self._stream = Stream(self.model, self.examples, self.example_semantics, style_seed=self.style_seed)
        if history is not None:
            stream.state.prev_semantics, stream.state.prev_frames = (h.to(self.device) for h in history)
        for item in driving:
            semantic, given = self._landmark_flows(item) if self.uses_landmarks else (item, None)
            self._check_semantic(semantic)
            out = stream.step(semantic.unsqueeze(0).to(self.device), given)
            attention = out.attention[0].float().cpu().numpy() if out.attention is not None else None
            index = int(out.example_index[0]) if out.example_index is not None else None
            yield GeneratedFrame(decode_image(out.image[0]), attention, index)

    def use_onnx(self, folder: str | Path | None = None, threads: int = 0) -> Path:
        """Run ``generate`` with ONNX Runtime: on the graphs in ``folder`` (from ``vid2vid export --onnx``), or on
        graphs exported now from this pipeline's model (finetuned or not) for the examples set. Returns the folder."""
        from vid2vid.inference.onnx_runtime import OnnxGenerator, export_onnx

        if folder is None:
            import tempfile

            if self.uses_examples and self.examples is None:
                raise UserError("set examples before switching to ONNX Runtime (the graphs are made for their K)")
            self._onnx_dir = tempfile.TemporaryDirectory(prefix="vid2vid-onnx-")
            k = self.examples.shape[1] if self.examples is not None else 0
            folder = export_onnx(inference_copy(self.train_model).cpu(), self._onnx_dir.name, k, *self.size,
                                 self.meta.semantic_channels)
        self.onnx = OnnxGenerator(folder, threads)
        return Path(folder)

    def _generate_onnx(self, driving: Iterable[torch.Tensor], history: History | None) -> Iterator[GeneratedFrame]:
        def numpy(x: torch.Tensor | None) -> np.ndarray | None:
            return None if x is None else x.detach().float().cpu().numpy()

        code = self.onnx.encode(numpy(self.examples), numpy(self.example_semantics))
        sems, frames = (numpy(history[0]), numpy(history[1])) if history is not None else (None, None)
        n = self.onnx.history
        for item in driving:
            semantic, given = self._landmark_flows(item) if self.uses_landmarks else (item, None)
            self._check_semantic(semantic)
            sem = numpy(semantic.unsqueeze(0))
            fitted = None if given is None else (numpy(given[0]), numpy(given[1]))
            image, attention = self.onnx.step(sem, code, sems, frames, fitted)
            sems = sem[:, None] if sems is None else np.concatenate([sems, sem[:, None]], axis=1)[:, -n:]
            frames = image[:, None] if frames is None else np.concatenate([frames, image[:, None]], axis=1)[:, -n:]
            self._onnx_history = (torch.from_numpy(sems), torch.from_numpy(frames))
            yield GeneratedFrame(decode_image(torch.from_numpy(image[0])),
                                 attention[0] if attention is not None else None, None)

    def history(self) -> History | None:
        """The recurrent state of the latest ``generate``: its last n semantic maps and generated frames (float,
        (1, n, C, H, W) and (1, n, 3, H, W)), or None before its first frame."""
        if self.onnx is not None:
            return self._onnx_history
        state = self._stream.state if self._stream is not None else None
        if state is None or state.prev_frames is None:
            return None
        return state.prev_semantics.cpu(), state.prev_frames.cpu()

    def finetune(self, steps: int, lr: float = 1e-4, progress: bool = True, leave_one_out: bool = True
                 ) -> list[float]:
        """Test-time finetuning on the K examples (the checkpoint on disk is untouched); returns the losses.
        ``leave_one_out`` (K >= 2): each example is reconstructed from the others (``finetune_on_examples``)."""
        from vid2vid.inference.finetune import finetune_on_examples

        if self.examples is None:
            raise UserError("set examples before finetuning")
        losses = finetune_on_examples(self.train_model, self.examples, self.example_semantics, steps, lr, progress,
                                      leave_one_out=leave_one_out, landmarks=self.example_landmarks)
        self.model = inference_copy(self.train_model, channels_last=True)
        self.onnx = None  # graphs exported before are stale: call use_onnx() again
        return losses
