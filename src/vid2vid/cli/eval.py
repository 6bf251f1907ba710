"""`vid2vid eval`: score a checkpoint on held-out domains, or run the whole benchmark table."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from vid2vid.cli.common import (add_checkpoint_argument, add_device_argument, add_example_flow_argument,
                                add_fill_depth_argument, add_finetune_all_examples_argument, add_num_examples,
                                add_task_argument, log, resolve_task, task_help)

BENCH_HELP = """\
Reproduce the paper's kind of table on our synthetic benchmark: render dancers, faces and streets, train the metric
networks and, with the same budget and two seeds, few-shot vid2vid and the Encoder / ConcatStyle / AdaIN baselines, then
score them on the held-out domains (pose error and FID for dancers; landmark error and FID for faces; pixel
accuracy, mIoU and FID for streets; PSNR / SSIM, warping error and identity drift for all), with the effect of K and of
the number of training domains. Writes <out>/benchmark.md, benchmark.json and PNG plots. --budget smoke runs in
minutes (CI); cpu gives real numbers in about two days on 2 CPU cores (27 models of ~1.6 h each on one core, and
the 10 of the dancers table continued at 128 px for ~1.2 h each, where the pose error separates the methods; run the
tasks, or the methods of one task, as processes on the same --out, e.g. --tasks pose & --tasks face street, or
--tasks pose --methods fewshot encoder & --tasks pose --methods concat adain fast, each with OMP_NUM_THREADS=1);
cpu-hours trains about 3x longer; gpu is sized for a GPU. Re-running with the same --out continues where it stopped
(Ctrl-C or SIGTERM saves a checkpoint): trained models and scores already written are reused."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="evaluate checkpoints and reproduce the paper's table",
                       description="Evaluate checkpoints and reproduce the paper's table.")
    eval_sub = p.add_subparsers(dest="eval_command", metavar="ACTION", required=True)
    bench = eval_sub.add_parser("benchmark", help="the full table (methods, K, training domains)",
                                description=BENCH_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench.add_argument("--budget", default="smoke", choices=("smoke", "cpu", "cpu-hours", "gpu"),
                       help="smoke (minutes, CI) | cpu (about two days on 2 cores) | cpu-hours | gpu (default smoke)")
    bench.add_argument("--out", default="results", help="output folder (default results)")
    add_task_argument(bench, "--tasks", nargs="+", help="tasks to run (default all): " + task_help())
    bench.add_argument("--methods", nargs="+", metavar="METHOD",
                       help="train and score only these of fewshot, encoder, concat, adain, fast (default all), e.g. "
                       "fast after the fast preset changed; the K and training-domain studies come with fewshot")
    bench.set_defaults(func=run_benchmark)
    one = eval_sub.add_parser("checkpoint", help="score one checkpoint on a dataset's held-out domains",
                              description="Score one checkpoint on the test split of a dataset (FID, PSNR/SSIM, "
                              "warping error, identity drift; pose error / segmentation accuracy when --detector "
                              "is given).")
    _held_out_arguments(one, "dataset folder with a test split")
    one.add_argument("--detector", help="keypoint or segmentation net (.safetensors) from the benchmark")
    _held_out_motions_argument(one, "single-person models trained with data.max_domains 1 and data.max_clips N: "
                               "score on that person's clips after the first N (motions the training left out) "
                               "instead of the test split")
    _finetune_arguments(one)
    one.add_argument("--example-draw", type=int, default=0, metavar="N",
                     help="which examples: 0 (default, the benchmark's) K frames spread evenly over the first other "
                     "clip of the held-out domain; N >= 1 another clip of the domain and K of its frames drawn at "
                     "random (seed N), to see how much the scores depend on the examples drawn")
    one.set_defaults(func=run_checkpoint)
    diag = eval_sub.add_parser(
        "diagnose", help="example-flow error, ghosts and background drift of a few-shot checkpoint",
        description="Measure what makes few-shot outputs wrong, on the held-out domains of a dataset with subject "
        "masks (dancers, faces), K examples from another clip of each domain: example-flow end-point error against "
        "the exact correspondence (pixels), ghost ratio (output error where an example's subject is but the "
        "target's is not, over the error on other background; 1.0 = no ghost; split by whether another example "
        "shows the background there or every example's subject hides it), the warped example's share there, "
        "the previous-frame mask mean, and background drift (background L1 at the last frame vs frame 1).")
    _held_out_arguments(diag, "dataset folder with a test split and mask/ folders")
    diag.add_argument("--out", help="also write the result to this JSON file")
    diag.set_defaults(func=run_diagnose)
    det = eval_sub.add_parser(
        "detectors", help="quality of the metric networks (pose error floor, segmentation ceiling)",
        description="Train the keypoint detector and the segmentation net on synthetic training domains and score "
        "them on held-out frames (also blurred, and on training frames): the floor of the pose error and the ceiling "
        "of the segmentation scores any generator can reach. Writes <out>/detector_quality.json and .md.")
    det.add_argument("--keypoint-data",
                     help="dataset for the COCO-18 keypoint net (default: pose, generated at 128 px)")
    det.add_argument("--segmentation-data", help="dataset for the segmentation net (default: street, generated)")
    det.add_argument("--kp-steps", type=int, default=600, help="keypoint net training steps (default 600)")
    det.add_argument("--seg-steps", type=int, default=600, help="segmentation net training steps (default 600)")
    det.add_argument("--weights", default="runs/metric_nets",
                     help="where the trained nets go (default runs/metric_nets)")
    det.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    det.add_argument("--out", default="results/detectors", help="report folder (default results/detectors)")
    det.set_defaults(func=run_detectors)
    pred = eval_sub.add_parser(
        "predict", help="future prediction against predicting pixels and copying the last frame",
        description="Future video prediction (vid2vid 2018, section 5) on the held-out clips of a street dataset: see "
        "the first --observe frames, predict the next --predict. Compares the model's label predictor rendered by its "
        "generator with a pixel predictor trained here, the last frame copied, and the generator on the true future "
        "labels: PSNR / SSIM per future step, FID over the predicted frames, label accuracy per step. Writes "
        "<out>/prediction.json and prediction.md.")
    add_checkpoint_argument(pred)
    pred.add_argument("--data", required=True, help="street dataset folder with a test split")
    pred.add_argument("--observe", type=int, default=4, help="frames seen (default 4)")
    pred.add_argument("--predict", type=int, default=8, help="frames predicted (default 8)")
    pred.add_argument("--clips", type=int, default=8, help="test clips scored (default 8)")
    pred.add_argument("--same-domains", type=int, default=0, metavar="N",
                      help="score on N new clips of each *training* city (rendered into <out>/new_clips from the "
                      "synthetic dataset's seed: the same cities, camera paths never seen in training) instead of the "
                      "held-out cities; the setting of a single-city model (default 0: held-out cities)")
    pred.add_argument("--pixel-steps", type=int, default=2000,
                      help="training steps of the pixel-predicting baseline (default 2000)")
    pred.add_argument("--out", default="results/prediction", help="report folder (default results/prediction)")
    add_device_argument(pred)
    pred.set_defaults(func=run_prediction)
    looks = eval_sub.add_parser(
        "looks", help="several looks of one label video from a multimodal vid2vid model",
        description="A picture of a multimodal vid2vid model's looks: the driving label maps of a held-out clip, "
        "then one row of generated frames per style seed (the first row after the labels is the mean look).")
    add_checkpoint_argument(looks)
    looks.add_argument("--data", required=True, help="street dataset folder with a test split")
    looks.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="style seeds (default 1 2 3)")
    looks.add_argument("--frames", type=int, default=4, help="frames shown per row (default 4)")
    looks.add_argument("--clip", type=int, default=0, help="which held-out clip (default 0)")
    looks.add_argument("--out", default="docs/multimodal_looks.png", help="PNG to write")
    add_device_argument(looks)
    looks.set_defaults(func=run_looks)
    cmp = eval_sub.add_parser(
        "compare", help="several checkpoints side by side on the same held-out clips, as one PNG",
        description="A picture comparing checkpoints (e.g. coarse-to-fine vs single scale, with and without the "
        "unpaired branch) on the same held-out clips: per clip, rows of the K examples (few-shot models), the driving "
        "input, each checkpoint's output in the order given, and the real frames.")
    cmp.add_argument("--checkpoints", nargs="+", required=True, metavar="CHECKPOINT",
                     help="training checkpoints (.pt) or exported generators (.safetensors), one row each")
    cmp.add_argument("--data", required=True, help="dataset folder with a test split")
    add_num_examples(cmp, 2, "examples per held-out clip")
    cmp.add_argument("--clips", type=int, default=2, help="held-out clips shown (default 2)")
    cmp.add_argument("--frames", type=int, default=4, help="frames shown per row (default 4)")
    cmp.add_argument("--max-frames", type=int, default=32,
                     help="the frames shown are spread over this many of each clip (default 32)")
    _held_out_motions_argument(cmp, "single-person models: show that person's clips after the first N (see eval "
                                    "checkpoint)")
    _weights_argument(cmp)
    _finetune_arguments(cmp, per_checkpoint=True)
    cmp.add_argument("--example-flow", nargs="+", choices=("learned", "parts", "landmarks"), metavar="FLOW",
                     help="few-shot pose and face models: where each example's flow comes from (learned, parts or "
                     "landmarks, as in eval checkpoint), one value for every checkpoint or one per checkpoint, so one "
                     "checkpoint may be shown twice; default: each model's own setting")
    cmp.add_argument("--out", required=True, help="PNG to write")
    add_device_argument(cmp)
    cmp.set_defaults(func=run_compare)
    rep = eval_sub.add_parser(
        "run", help="loss curves, held-out pictures and scores of one training run",
        description="For a training run folder: the loss curves (<name>_losses.png), held-out people animated by the "
        "newest checkpoint's averaged weights (<name>_heldout.png: examples | pose | output | ground truth) and its "
        "scores on the dataset's held-out domains (<name>_scores.json).")
    rep.add_argument("--run-dir", required=True, help="the training run folder (log.jsonl, checkpoints)")
    add_checkpoint_argument(rep, required=False, help="score this checkpoint instead of the run's newest")
    rep.add_argument("--out", default="docs", help="folder for the pictures and scores (default docs)")
    rep.add_argument("--name", default="run", help="file name prefix (default run)")
    rep.add_argument("--people", type=int, default=3, help="held-out people / domains shown (default 3)")
    rep.set_defaults(func=run_run_report)


def _held_out_arguments(p: argparse.ArgumentParser, data_help: str) -> None:
    """What every command scoring one checkpoint on held-out clips takes."""
    add_checkpoint_argument(p)
    p.add_argument("--data", required=True, help=data_help)
    add_num_examples(p, 2, "examples per held-out clip")
    p.add_argument("--clips", type=int, default=8, help="test clips scored (default 8)")
    p.add_argument("--frames", type=int, default=32, help="frames per clip (default 32)")
    _weights_argument(p)
    add_fill_depth_argument(p)
    add_example_flow_argument(p)
    add_device_argument(p)


def _weights_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", choices=("ema", "generator"), default="ema",
                   help="a training checkpoint's averaged (default) or raw generator weights (the benchmark table "
                   "scores the raw ones)")


def _finetune_arguments(p: argparse.ArgumentParser, per_checkpoint: bool = False) -> None:
    what = ("test-time finetuning (few-shot models): before each held-out clip, adapt a copy of the generator to that "
            "clip's K examples for N steps, as `generate --finetune N` does (default 0: none; the paper uses about "
            "100)")
    if per_checkpoint:
        p.add_argument("--finetune", type=int, nargs="+", default=[0], metavar="N",
                       help=what + "; one value for every checkpoint or one per checkpoint, e.g. --checkpoints C C "
                       "--finetune 0 100 shows a model before and after")
    else:
        p.add_argument("--finetune", type=int, default=0, metavar="N", help=what)
    p.add_argument("--finetune-lr", type=float, default=1e-4, metavar="LR",
                   help="learning rate of that finetuning (default 1e-4)")
    add_finetune_all_examples_argument(p)


def _held_out_motions_argument(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--held-out-motions", type=int, default=0, metavar="N", help=help)


def run_benchmark(args: argparse.Namespace) -> int:
    from vid2vid.evaluation.benchmark import run_benchmark as run

    names = tuple(resolve_task(t) for t in args.tasks) if args.tasks else None
    run(args.out, args.budget, names, progress=not args.quiet, methods=tuple(args.methods) if args.methods else None)
    log.info(f"wrote {Path(args.out) / 'benchmark.md'} and benchmark.json")
    return 0


def run_diagnose(args: argparse.Namespace) -> int:
    from vid2vid.errors import UserError
    from vid2vid.evaluation.diagnose import diagnose
    from vid2vid.files import write_text_atomic
    from vid2vid.inference.pipeline import Pipeline

    if args.num_examples < 1 or args.clips < 1 or args.frames < 3:
        raise UserError("--num-examples and --clips must be >= 1 and --frames >= 3")
    pipe = Pipeline.from_checkpoint(args.checkpoint, device=args.device, weights=args.weights,
                                    fill_depth=args.fill_depth, example_flow=args.example_flow)
    result = diagnose(pipe, args.data, args.num_examples, args.clips, args.frames)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        write_text_atomic(args.out, text + "\n")
    return 0


def run_checkpoint(args: argparse.Namespace) -> int:
    from vid2vid import tasks
    from vid2vid.errors import UserError
    from vid2vid.data.layout import read_meta
    from vid2vid.evaluation.evaluate import Detectors, Finetune, evaluate
    from vid2vid.inference.pipeline import Pipeline

    detectors = Detectors()
    if args.detector:
        from vid2vid.metrics import load_keypoint_net, load_segmentation_net

        if tasks.get(read_meta(args.data).task).detector == "segmentation":
            detectors.segmentation = load_segmentation_net(args.detector)
        else:
            detectors.keypoints = load_keypoint_net(args.detector)
    if args.num_examples < 1 or args.clips < 1 or args.frames < 1 or args.finetune < 0 or args.example_draw < 0:
        raise UserError("--num-examples, --clips and --frames must be >= 1, --finetune and --example-draw >= 0")
    if not args.finetune_lr > 0:
        raise UserError(f"--finetune-lr must be positive, got {args.finetune_lr}")
    pipe = Pipeline.from_checkpoint(args.checkpoint, device=args.device, weights=args.weights,
                                    fill_depth=args.fill_depth, example_flow=args.example_flow)
    if args.finetune and not pipe.uses_examples:
        raise UserError(f"{args.checkpoint}: --finetune adapts a few-shot model to its examples; this model takes none")
    result = evaluate(pipe, args.data, args.num_examples, detectors, args.clips, args.frames,
                      held_out_motions=args.held_out_motions, finetune=Finetune(args.finetune, args.finetune_lr,
                                                                  not args.finetune_all_examples),
                      example_draw=args.example_draw)
    print(json.dumps(result, indent=2))
    return 0


def run_detectors(args: argparse.Namespace) -> int:
    from vid2vid.evaluation.detector_quality import detector_quality

    paths = detector_quality(args.out, args.keypoint_data, args.segmentation_data, args.kp_steps, args.seg_steps,
                             args.weights, args.seed)
    log.info("wrote " + " and ".join(str(p) for p in paths))
    return 0


def run_prediction(args: argparse.Namespace) -> int:
    from vid2vid.evaluation.prediction import evaluate_prediction, markdown
    from vid2vid.files import write_json_atomic, write_text_atomic
    from vid2vid.inference.pipeline import Pipeline

    pipe = Pipeline.from_checkpoint(args.checkpoint, device=args.device)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    test_root = None
    if args.same_domains:
        from vid2vid.data.synth.generate import write_new_clips

        test_root = out / "new_clips"
        write_new_clips(args.data, test_root, args.same_domains, progress=not args.quiet)
    result = evaluate_prediction(pipe, args.data, args.observe, args.predict, args.clips, args.pixel_steps,
                                 progress=not args.quiet, test_root=test_root)
    write_json_atomic(out / "prediction.json", result)
    write_text_atomic(out / "prediction.md", markdown(result))
    print(markdown(result))
    return 0


def run_looks(args: argparse.Namespace) -> int:
    from vid2vid.evaluation.looks import looks_picture
    from vid2vid.inference.pipeline import Pipeline

    pipe = Pipeline.from_checkpoint(args.checkpoint, device=args.device)
    path = looks_picture(pipe, args.data, args.seeds, args.out, args.frames, args.clip)
    log.info(f"wrote {path}")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from vid2vid.errors import UserError
    from vid2vid.evaluation.evaluate import Finetune
    from vid2vid.evaluation.sheet import method_sheet
    from vid2vid.inference.pipeline import Pipeline

    if args.num_examples < 1 or args.clips < 1 or args.frames < 1 or args.max_frames < args.frames:
        raise UserError("--num-examples, --clips and --frames must be >= 1 and --max-frames >= --frames")
    steps = args.finetune * len(args.checkpoints) if len(args.finetune) == 1 else args.finetune
    if len(steps) != len(args.checkpoints) or min(steps) < 0 or not args.finetune_lr > 0:
        raise UserError(f"--finetune takes one value >= 0 or one per checkpoint ({len(args.checkpoints)}), got "
                        f"{len(args.finetune)}; --finetune-lr must be positive")
    flows = args.example_flow or [None]
    flows = flows * len(args.checkpoints) if len(flows) == 1 else flows
    if len(flows) != len(args.checkpoints):
        raise UserError(f"--example-flow takes one value or one per checkpoint ({len(args.checkpoints)}), got "
                        f"{len(flows)}")
    names = [f"{Path(p).parent.name}/{Path(p).stem}" for p in args.checkpoints]  # run folder / checkpoint
    if len(set(zip(names, steps, flows))) < len(names):
        names = list(args.checkpoints)
    names = [name + (f", finetuned {n}" if n else "") + (f", {flow} flow" if args.example_flow else "")
             for name, n, flow in zip(names, steps, flows)]
    if len(set(names)) < len(names):
        raise UserError("a checkpoint is given twice with the same --finetune and --example-flow: each row must "
                        "differ")
    pipes = {name: Pipeline.from_checkpoint(path, device=args.device, weights=args.weights, example_flow=flow)
             for name, path, flow in zip(names, args.checkpoints, flows)}
    finetunes = {name: Finetune(n, args.finetune_lr, not args.finetune_all_examples)
                 for name, n in zip(names, steps)}
    path = method_sheet(pipes, args.data, args.num_examples, args.out, args.clips, args.frames, args.max_frames,
                        args.held_out_motions, finetunes)
    log.info(f"wrote {path}: per clip, rows " + ("the examples, " if any(p.uses_examples for p in pipes.values())
                                                   else "") + "the input, " + ", ".join(names)
             + ", the real frames")
    return 0


def run_run_report(args: argparse.Namespace) -> int:
    from vid2vid.evaluation.run_report import run_report

    print(json.dumps(run_report(args.run_dir, args.out, args.name, args.checkpoint, args.people), indent=2))
    return 0
