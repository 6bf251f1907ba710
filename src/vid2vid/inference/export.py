"""Slim a training checkpoint down to what inference needs: one generator's weights (the EMA by default, optionally
fp16) as safetensors, with its config, the dataset description and where it came from as JSON metadata
(``vid2vid export``; the shipped demo generators in ``vid2vid/assets`` are made this way)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from vid2vid.checkpoint import generator_info, load_checkpoint, load_generator, save_generator
from vid2vid.errors import UserError
from vid2vid.files import write_json_atomic


def export_generator(src: str | Path, dst: str | Path, fp16: bool = True, weights: str = "ema",
                     example_flow: str | None = None) -> Path:
    """Write ``src``'s generator to ``dst`` (.safetensors) atomically; returns its path. ``example_flow`` (learned,
    parts or landmarks) replaces the generator config's setting, so the file runs that way by default (the weights
    are the same). ``src`` may be an exported generator itself: its weights (fp16 kept unless ``fp16`` is off and
    they are float32) and provenance are carried over, with the setting changed."""
    dst = Path(dst)
    if dst.suffix != ".safetensors":
        raise UserError(f"--out {dst} must end in .safetensors")
    if Path(src).suffix == ".safetensors":
        chosen, generator_config, dataset = load_generator(src)
        info = {**generator_info(src), "reexported_from": Path(src).name}
    else:
        state = load_checkpoint(src)
        if "generator_config" not in state or "dataset" not in state:
            raise UserError(f"{src} is not a vid2vid training checkpoint (no generator_config/dataset entries)")
        chosen = state.get(weights, state.get("generator", state.get("ema")))
        info = {"source": Path(src).name, "step": int(state.get("step", -1)), "weights": weights,
                "dtype": "float16" if fp16 else "float32", "config": state.get("config", {})}
        generator_config, dataset = state["generator_config"], state["dataset"]
    tensors = {k: (v.half() if fp16 and v.is_floating_point() else v) for k, v in chosen.items()}
    generator_config = dict(generator_config)
    if example_flow is not None:
        from vid2vid.data.landmark_flow import require_landmarks
        from vid2vid.data.layout import DatasetMeta
        from vid2vid.models.config import GeneratorConfig
        from vid2vid.models.part_flow import require_part_channels

        generator_config["example_flow"] = example_flow
        GeneratorConfig(**generator_config)  # checked as any setting (parts needs example warping)
        meta = DatasetMeta(**dataset)
        if example_flow == "parts":
            require_part_channels(str(src), meta.task, meta.semantic_channels)
        if example_flow == "landmarks":
            require_landmarks(str(src), meta.task, meta.keypoints)
    return save_generator(dst, tensors, generator_config, dataset, info)


def export_onnx_folder(src: str | Path, folder: str | Path, k: int, weights: str = "ema",
                       example_flow: str | None = None) -> Path:
    """Write ``src``'s generator (a training checkpoint or an exported .safetensors) as ONNX graphs for ``k``
    examples at its training size, with the dataset description and generator config in ``onnx.json``;
    ``example_flow``: learned, parts or landmarks instead of the model's own."""
    import json

    from vid2vid.inference.onnx_runtime import SPEC_FILE, export_onnx
    from vid2vid.inference.pipeline import Pipeline
    from vid2vid.models.layers import inference_copy

    pipe = Pipeline.from_checkpoint(src, device="cpu", weights=weights, example_flow=example_flow)
    if k < 1 and pipe.uses_examples:
        raise UserError(f"-k must be at least 1 for a few-shot generator, got {k}")
    folder = export_onnx(inference_copy(pipe.train_model), folder, k if pipe.uses_examples else 0, *pipe.size,
                         pipe.meta.semantic_channels)
    spec = json.loads((folder / SPEC_FILE).read_text(encoding="utf-8"))
    spec.update(dataset=asdict(pipe.meta), generator_config=asdict(pipe.gcfg), source=str(src))
    write_json_atomic(folder / SPEC_FILE, spec)
    return folder
