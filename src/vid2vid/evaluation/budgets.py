"""What the benchmark trains and how long: its methods with their recipe numbers, and its budgets (smoke, cpu,
cpu-hours, gpu), each one run configuration for every method plus the data, metric-network and study sizes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

from vid2vid import tasks
from vid2vid.config import DataConfig, to_dict
from vid2vid.models.discriminator import DiscriminatorConfig
from vid2vid.training.options import ModelSpec, RunConfig, TrainOptions


METHODS = ("fewshot", "encoder", "concat", "adain", "fast")
METHOD_NAMES = {"fewshot": "few-shot vid2vid", "encoder": "Encoder", "concat": "ConcatStyle", "adain": "AdaIN",
                "fast": "few-shot vid2vid, fast preset"}
# Each method's generator: an architecture, and a preset other than the budget's where it is about the preset (the
# fast preset's row shows what its speed costs in quality, trained with the same recipe and budget).
METHOD_ARCH = {"fewshot": "fewshot", "encoder": "encoder", "concat": "concat", "adain": "adain", "fast": "fewshot"}
METHOD_PRESET = {"fast": "fast"}


@dataclass(frozen=True)
class Refine:
    """A second training stage at a larger frame size, for the tasks whose registry entry asks for it
    (``benchmark_refine``). Every model of the methods table continues from its final (averaged) weights, with fresh
    discriminators, on the same domains rendered at ``size``, and is scored there: a methods table, K study and
    picture of its own (the domains study stays at the first size). At 64 px every dancers model's pose error sat
    within 0.4 px of the keypoint net's floor; continued at 128 px with the `cpu` budget's schedule, seed 0 of
    ConcatStyle, AdaIN and Encoder scored 6.2, 5.5 and 3.5 px, few-shot vid2vid's 1.8 px (floor 1.6; docs/learning.md,
    "Dancers at 128 px")."""

    size: int
    max_steps: int  # counted from 0 in the continued run
    flow_pretrain_steps: int
    single_frame_steps: int
    double_every: int
    checkpoint_every: int = 25  # (a step at T = 4 and 128 px takes ~18 s on one core)

    def settings(self) -> dict:
        """What the stage's scores depend on (a change drops them)."""
        return {key: value for key, value in asdict(self).items() if key != "checkpoint_every"}

    def train(self, base: TrainOptions, init_from: Path) -> TrainOptions:
        """The continued run's options: the budget's, with this stage's schedule, starting from ``init_from``."""
        return replace(base, max_steps=self.max_steps, flow_pretrain_steps=self.flow_pretrain_steps,
                       single_frame_steps=self.single_frame_steps, double_every=self.double_every,
                       checkpoint_every=self.checkpoint_every, init_from=str(init_from))


@dataclass(frozen=True)
class Budget:
    """How big the benchmark is: the same command runs for minutes (smoke) or hours (cpu-hours, gpu)."""

    # The training run of every method: data (sequence length, K, strides), model preset, discriminator, loss and
    # train sections as in a run config. Per run the benchmark sets the data root, seeds, the architecture (method),
    # the number of training domains (domains study) and halves the batch for twice-as-wide tasks.
    run: RunConfig
    size: int  # frame height (width from the task's aspect)
    domains: int  # domains rendered per task (``test_domains`` of them held out)
    test_domains: int
    clips: int
    frames: int
    eval_k: int  # K of the methods table
    seeds: int  # training seeds per method of the methods table
    detector_steps: int  # training steps of the keypoint and landmark nets
    ks: tuple[int, ...]  # test-time K for the K study
    domain_fractions: tuple[float, ...]  # fractions of the training domains for the domains study
    eval_clips: int
    eval_frames: int
    # Training steps of the street segmentation net (None: detector_steps). At 64x128, 600 steps left it at mIoU 0.290
    # on real held-out frames, 4,000 at 0.379 (pixel accuracy 0.866 -> 0.921); the keypoint net gains less (pose
    # error floor 2.24 -> 2.02 px, every model's error 0.2-0.3 px lower, the order unchanged: docs/learning.md).
    segmentation_steps: int | None = None
    # Generator weights scored: the optimiser's ("generator") or the average ("ema"). Runs this short gain little from
    # averaging, and models trained before the EMA warm-up (training.schedule.ema_decay) have a broken average.
    weights: str = "generator"
    refine: Refine | None = None

    def refine_of(self, kind: str) -> Refine | None:
        """The second stage of the task whose dataset is ``kind``, if it has one."""
        return self.refine if tasks.get(kind).benchmark_refine else None

    def summary(self) -> dict:
        """The settings the report states, flat."""
        r = self.run
        return {"size": self.size, "domains": self.domains, "test_domains": self.test_domains, "clips": self.clips,
                "frames": self.frames, "preset": r.model.preset, "steps": r.train.max_steps,
                "flow_pretrain_steps": r.train.flow_pretrain_steps, "single_frame_steps": r.train.single_frame_steps,
                "double_every": r.train.double_every, "seq_len": r.data.seq_len,
                "max_frame_stride": r.data.max_frame_stride, "batch_size": r.train.batch_size,
                "train_k": r.data.num_examples, "eval_k": self.eval_k, "seeds": self.seeds,
                "detector_steps": self.detector_steps,
                "segmentation_steps": self.segmentation_steps or self.detector_steps, "ks": list(self.ks),
                "domain_fractions": list(self.domain_fractions), "eval_clips": self.eval_clips,
                "eval_frames": self.eval_frames, "disc_layers": r.discriminator.layers,
                "disc_scales": r.discriminator.scales, "ndf": r.discriminator.ndf, "weights": self.weights,
                "refine": None if self.refine is None else asdict(self.refine), "run": to_dict(r)}

    def steps_of_detector(self, kind: str) -> int:
        """Training steps of the metric network of the task whose dataset is ``kind``."""
        if tasks.get(kind).detector == "segmentation" and self.segmentation_steps is not None:
            return self.segmentation_steps
        return self.detector_steps


def _run(preset: str, seq_len: int, stride: int, k: int, ndf: int, layers: int, scales: int, **train) -> RunConfig:
    return RunConfig(data=DataConfig(seq_len=seq_len, num_examples=k, max_frame_stride=stride), model=ModelSpec(preset),
                     discriminator=DiscriminatorConfig(ndf=ndf, layers=layers, scales=scales),
                     train=TrainOptions(workers=1, image_every=0, checkpoint_every=150, resume=True, **train))


BUDGETS = {
    "smoke": Budget(run=_run("tiny", 8, 1, 2, ndf=4, layers=2, scales=1, max_steps=6, flow_pretrain_steps=2,
                             single_frame_steps=1, double_every=1, batch_size=1),
                    size=32, domains=5, test_domains=1, clips=2, frames=8, eval_k=2, seeds=2, detector_steps=10,
                    ks=(1, 2), domain_fractions=(0.5, 1.0), eval_clips=1, eval_frames=4,
                    refine=Refine(48, max_steps=4, flow_pretrain_steps=1, single_frame_steps=1, double_every=1)),
    # 10,000 flow-only steps (~0.05 s each; example-flow error 5.1 px after 3,000, 3.8 px after 10,000), then GAN
    # steps with sequences growing 2 -> 4 -> 8 (strides 1-2): a step at T = 8 costs 8 frame updates, so GAN steps
    # stay few. About 1.6 h per model on one core of a 2-core machine with another run on the other core (dancers
    # few-shot: 24 min of flow steps, 13 min of single frames, 9 / 22 / 29 min at T = 2 / 4 / 8). Dancers then go on
    # at 128 px (the schedule of the shipped dancers model's first 128 px stage): about 1.2 h more per model.
    "cpu": Budget(run=_run("small", 8, 2, 4, ndf=32, layers=4, scales=2, max_steps=11050, flow_pretrain_steps=10000,
                           single_frame_steps=600, double_every=150, batch_size=4),
                  size=64, domains=40, test_domains=4, clips=4, frames=32, eval_k=2, seeds=2, detector_steps=600,
                  segmentation_steps=4000, ks=(1, 2, 4, 8), domain_fractions=(0.25, 1.0), eval_clips=8,
                  eval_frames=32,
                  refine=Refine(128, max_steps=2000, flow_pretrain_steps=1500, single_frame_steps=300,
                                double_every=100)),
    "cpu-hours": Budget(run=_run("small", 8, 2, 4, ndf=32, layers=4, scales=2, max_steps=13000,
                                 flow_pretrain_steps=10000, single_frame_steps=1200, double_every=400, batch_size=4),
                        size=64, domains=40, test_domains=4, clips=4, frames=32, eval_k=2, seeds=2, detector_steps=600,
                        segmentation_steps=4000, ks=(1, 2, 4, 8), domain_fractions=(0.25, 0.5, 1.0), eval_clips=8,
                        eval_frames=32),
    "gpu": Budget(run=_run("small", 16, 2, 4, ndf=32, layers=4, scales=2, max_steps=50000, flow_pretrain_steps=10000,
                           single_frame_steps=5000, double_every=5000, batch_size=8),
                  size=128, domains=80, test_domains=8, clips=8, frames=32, eval_k=2, seeds=3, detector_steps=3000,
                  ks=(1, 2, 4, 8), domain_fractions=(0.125, 0.25, 0.5, 1.0), eval_clips=16, eval_frames=32),
}
# Each method's training recipe: scores of an older recipe must not mix with new ones in one table (the --out of a
# re-run is reused). When a method's recipe changes, its scores are dropped and it trains again (its run folders carry
# the number); the other methods' scores and models are kept. Recipe 4 changed the few-shot generator only; fast's
# recipe 5 is its preset with small's flow network (models/config.py).
RECIPES = {"fewshot": 4, "encoder": 3, "concat": 3, "adain": 3, "fast": 5}
# A task's own numbers where its methods changed alone are its registry entry's benchmark_recipes.
SINGLE_RECIPE = 3  # score files written before per-method recipes hold one number; only this one is still read


def recipes(kind: str) -> dict[str, int]:
    """Each method's recipe number on the task whose dataset is ``kind``."""
    return {**RECIPES, **tasks.get(kind).benchmark_recipes}

