"""The benchmark's bookkeeping: per-task score files, budget checks, merging and the report (no training here; the
whole smoke benchmark runs in .ci/run)."""

import json

import pytest

from vid2vid import tasks
from vid2vid.errors import UserError
from vid2vid.evaluation.benchmark import _detectors, collect_results, first_trained, run_benchmark, sheet_stale
from vid2vid.evaluation.budgets import BUDGETS, METHOD_NAMES, RECIPES, SINGLE_RECIPE, recipes
from vid2vid.evaluation.task_scores import TaskFile, load_task, mean_over_seeds
from vid2vid.evaluation.report import write_report

SCORES = {"pose_error": 3.0, "fid": 100.0, "psnr": 20.0, "ssim": 0.5, "warp_error": 0.01, "identity_drift": 0.02}


def _task(path, budget, **tables):
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"budget": budget, "recipes": recipes(path.stem), "seconds": 10.0, "floor": {"pose_error": 1.0}, "runs": {},
            "methods": {}, "k": {}, "domains": {}}
    if budget in BUDGETS:
        data["detector_steps"] = BUDGETS[budget].steps_of_detector(path.stem)
    data.update(tables)
    path.write_text(json.dumps(data))


def test_every_budget_trains_the_same_steps_for_every_method_and_fits_its_sizes():
    for name, b in BUDGETS.items():
        assert b.test_domains < b.domains, name
        train, data = b.run.train, b.run.data
        assert train.flow_pretrain_steps + train.single_frame_steps <= train.max_steps, name
        assert data.seq_len >= 8 and (data.seq_len - 1) * data.max_frame_stride < b.frames, name  # sequences reach 8
        assert b.size % 16 == 0, name  # the small and tiny presets need multiples of 16
        assert 1.0 in b.domain_fractions, name  # the full model is one point of the domains study


def test_a_folder_of_another_budget_is_refused_before_any_work(tmp_path):
    _task(tmp_path / "tasks" / "dancers.json", "smoke")
    with pytest.raises(UserError, match="dancers.json holds results of --budget smoke, not cpu"):
        run_benchmark(tmp_path, "cpu", ("dancers",), progress=False)
    with pytest.raises(UserError, match="unknown --budget 'fast'"):
        run_benchmark(tmp_path, "fast", ("dancers",), progress=False)
    with pytest.raises(UserError, match="unknown task 'people'"):
        run_benchmark(tmp_path, "smoke", ("people",), progress=False)


def test_scores_of_an_older_recipe_are_refused(tmp_path):
    _task(tmp_path / "tasks" / "dancers.json", "cpu")
    data = json.loads((tmp_path / "tasks" / "dancers.json").read_text())
    del data["recipes"]
    (tmp_path / "tasks" / "dancers.json").write_text(json.dumps(data))
    with pytest.raises(UserError, match="older training recipe"):
        run_benchmark(tmp_path, "cpu", ("dancers",), progress=False)


def test_a_method_whose_recipe_changed_is_redone_and_the_others_are_kept(tmp_path):
    path = tmp_path / "tasks" / "dancers.json"
    runs = {f"{arch}/seed{s}": SCORES for arch in METHOD_NAMES for s in (0, 1)}
    _task(path, "cpu", runs=runs, k={"1": SCORES}, domains={"9": SCORES})
    data = json.loads(path.read_text())
    del data["recipes"]
    data["recipe"] = SINGLE_RECIPE  # a file from before per-method recipes
    path.write_text(json.dumps(data))
    task = load_task(path, "cpu")
    current = recipes("dancers")
    kept = {key.split("/")[0] for key in task["runs"]}
    assert kept == {arch for arch in METHOD_NAMES if current[arch] == SINGLE_RECIPE}
    assert task["recipes"] == current
    if current["fewshot"] != SINGLE_RECIPE:
        assert task["k"] == {} and task["domains"] == {}
    data["recipe"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(UserError, match="older training recipe"):
        load_task(path, "cpu")
    path.write_text(json.dumps(dict(data, recipes=dict(current, adain=current["adain"] + 1))))
    with pytest.raises(UserError, match="newer training recipe of adain"):
        load_task(path, "cpu")


def test_a_recipe_changed_for_one_task_redoes_that_task_only(tmp_path):
    runs = {f"{arch}/seed0": SCORES for arch in METHOD_NAMES}
    changed = {(t.dataset, arch) for t in tasks.tasks() for arch in t.benchmark_recipes}
    assert changed, "no task has its own recipe: nothing to check"
    for kind in ("dancers", "faces", "streets"):
        path = tmp_path / "tasks" / f"{kind}.json"
        _task(path, "cpu", runs=runs, k={"1": SCORES})
        path.write_text(json.dumps(dict(json.loads(path.read_text()), recipes=dict(RECIPES))))  # the shared numbers
        task = load_task(path, "cpu")
        assert {key.split("/")[0] for key in task["runs"]} == {a for a in METHOD_NAMES if (kind, a) not in changed}
        assert bool(task["k"]) == ((kind, "fewshot") not in changed)
        assert task["recipes"] == recipes(kind)


def test_scores_of_a_metric_net_trained_for_other_steps_are_dropped_and_the_net_trained_again(tmp_path, monkeypatch):
    b = BUDGETS["cpu"]
    assert b.steps_of_detector("streets") != b.detector_steps == b.steps_of_detector("dancers")
    runs = {f"{arch}/seed0": SCORES for arch in METHOD_NAMES}
    for kind in ("dancers", "streets"):  # files from before the steps were kept: trained with detector_steps
        path = tmp_path / "tasks" / f"{kind}.json"
        _task(path, "cpu", runs=runs, k={"1": SCORES})
        path.write_text(json.dumps({k: v for k, v in json.loads(path.read_text()).items() if k != "detector_steps"}))
    dancers = load_task(tmp_path / "tasks" / "dancers.json", "cpu")
    assert dancers["runs"] == runs and dancers["detector_steps"] == b.detector_steps
    assert "retrain_detector" not in dancers
    streets = load_task(tmp_path / "tasks" / "streets.json", "cpu")
    assert streets["runs"] == streets["k"] == {} and streets["floor"] is None
    assert streets["detector_steps"] == b.steps_of_detector("streets") and streets["retrain_detector"]

    import vid2vid.metrics as metrics
    calls = []
    monkeypatch.setattr(metrics, "train_segmentation_net", lambda root, steps, path, log: calls.append(steps))
    monkeypatch.setattr(metrics, "load_segmentation_net", lambda path: calls.append(f"loaded {path.name}"))
    kept = tmp_path / "detectors" / "streets.safetensors"
    kept.parent.mkdir()
    kept.write_bytes(b"old net")
    _detectors(tmp_path, "streets", tmp_path, b)
    assert calls == ["loaded streets.safetensors"]
    _detectors(tmp_path, "streets", tmp_path, b, retrain=True)
    assert calls[1:] == [b.steps_of_detector("streets")] and not kept.exists()


def test_a_second_stage_keeps_its_own_scores_and_drops_them_when_its_schedule_or_a_recipe_changes(tmp_path):
    b = BUDGETS["cpu"]
    r = b.refine_of("dancers")
    assert r is not None and r.size > b.size and b.refine_of("streets") is None
    runs = {f"{arch}/seed0": SCORES for arch in METHOD_NAMES}
    larger = {f"{arch}/seed0": dict(SCORES, pose_error=7.77) for arch in METHOD_NAMES}
    refined = {"settings": r.settings(), "floor": {"pose_error": 1.5}, "runs": larger,
               "methods": {arch: mean_over_seeds([larger[f"{arch}/seed0"]]) for arch in METHOD_NAMES},
               "k": {"1": SCORES}}
    path = tmp_path / "tasks" / "dancers.json"
    _task(path, "cpu", runs=runs, refined=refined)
    task = load_task(path, "cpu")
    assert task["refined"]["runs"] == larger and task["refined"]["k"]
    write_report(tmp_path, collect_results(tmp_path, "cpu"), METHOD_NAMES)
    text = (tmp_path / "benchmark.md").read_text()
    assert f"### Methods at {r.size} px, K={b.eval_k}" in text
    assert "7.77" in text.split(f"Methods at {r.size} px")[1] and "7.77" not in text.split(f"Methods at {r.size}")[0]
    # A method whose recipe changed goes at both sizes; the others stay.
    older = dict(recipes("dancers"), adain=recipes("dancers")["adain"] - 1)
    path.write_text(json.dumps(dict(json.loads(path.read_text()), recipes=older)))
    task = load_task(path, "cpu")
    assert "adain/seed0" not in task["runs"] and "adain/seed0" not in task["refined"]["runs"]
    assert "fewshot/seed0" in task["refined"]["runs"] and task["refined"]["k"]
    # Another schedule of the second stage: its scores go, the first stage's stay.
    _task(path, "cpu", runs=runs, refined=dict(refined, settings=dict(r.settings(), max_steps=r.max_steps + 1)))
    task = load_task(path, "cpu")
    assert task["runs"] == runs and task["refined"]["runs"] == {} and task["refined"]["floor"] is None
    # A task without a second stage at this budget has no such part.
    _task(tmp_path / "tasks" / "streets.json", "cpu", runs=runs, refined=refined)
    assert "refined" not in load_task(tmp_path / "tasks" / "streets.json", "cpu")


def test_seeds_are_averaged_with_their_spread_in_the_table(tmp_path):
    merged = mean_over_seeds([dict(SCORES, pose_error=3.0), dict(SCORES, pose_error=3.4)])
    assert merged["pose_error"] == pytest.approx(3.2) and merged["pose_error_spread"] == pytest.approx(0.2)
    assert merged["seeds"] == 2 and merged["fid_spread"] == 0.0
    _task(tmp_path / "tasks" / "faces.json", "cpu", floor={"landmark_error": 1.0},
          methods={"fast": mean_over_seeds([dict(SCORES, landmark_error=2.2)]),
                   "fewshot": mean_over_seeds([dict(SCORES, landmark_error=2.0), dict(SCORES, landmark_error=2.5)])})
    md = write_report(tmp_path, collect_results(tmp_path, "cpu"), METHOD_NAMES).read_text()
    assert "| few-shot vid2vid | 2.25 ± 0.25 | 100.0 ± 0.0 |" in md and "landmark error" in md
    # Rows in the methods' order, not the order their seeds were scored in.
    assert md.index("| few-shot vid2vid |") < md.index("| few-shot vid2vid, fast preset")
    # A row with fewer seeds than the budget's shows no spread, so its name says how many it has; a method with no
    # scores is named under the table.
    assert "| few-shot vid2vid, fast preset (1 of 2 seeds) | 2.20 | 100.0 |" in md
    assert "Not scored yet: Encoder; ConcatStyle; AdaIN." in md


def test_each_runs_own_training_time_is_a_column_of_the_methods_table_only(tmp_path):
    from vid2vid.checkpoint import save_checkpoint
    from vid2vid.evaluation.benchmark import train_hours

    saved = save_checkpoint(tmp_path / "run", 10, {"step": 10, "train_seconds": 5400.0})
    assert train_hours(saved) == 1.5
    assert train_hours(save_checkpoint(tmp_path / "old", 10, {"step": 10})) is None  # from before it was recorded
    # A seed scored before the time was recorded: the mean leaves the key out rather than failing or guessing.
    merged = mean_over_seeds([dict(SCORES, train_hours=1.0), SCORES])
    assert "train_hours" not in merged and merged["fid"] == 100.0
    timed = mean_over_seeds([dict(SCORES, train_hours=1.0), dict(SCORES, train_hours=2.0)])
    _task(tmp_path / "tasks" / "dancers.json", "cpu", methods={"fewshot": timed, "adain": SCORES},
          k={"1": SCORES, "2": timed})
    md = write_report(tmp_path, collect_results(tmp_path, "cpu"), METHOD_NAMES).read_text()
    assert "| training h |" in md.split("### Effect of K")[0] and "| few-shot vid2vid | 3.00 ± 0.00 |" in md
    assert "| 1.50 ± 0.50 |" in md and md.split("| AdaIN |")[1].split("\n")[0].endswith("| - |")
    assert "| training h |" not in md.split("### Effect of K")[1]  # the studies score the same models again
    _task(tmp_path / "tasks" / "dancers.json", "cpu", methods={"fewshot": SCORES})
    assert "| training h |" not in write_report(tmp_path, collect_results(tmp_path, "cpu"), METHOD_NAMES).read_text()


def test_tasks_written_by_separate_processes_merge_into_one_report(tmp_path):
    _task(tmp_path / "tasks" / "dancers.json", "cpu", methods={m: SCORES for m in METHOD_NAMES},
          k={"1": SCORES, "2": dict(SCORES, pose_error=2.5)}, domains={"9": SCORES, "36": SCORES})
    # The other task still running: no K or domain scores yet, no floor.
    _task(tmp_path / "tasks" / "streets.json", "cpu", floor=None, methods={"fewshot": {"fid": 90.0, "miou": 0.2}})
    results = collect_results(tmp_path, "cpu")
    assert set(results["tasks"]) == {"dancers", "streets"} and results["seconds"] == 20.0
    md = write_report(tmp_path, results, METHOD_NAMES).read_text()
    assert "| few-shot vid2vid | 3.00 | 100.0 |" in md and "| K=2 | 2.50 |" in md and "| 36 domains |" in md
    assert "| few-shot vid2vid | - | 0.200 | 90.0 |" in md
    assert (tmp_path / "dancers_k.png").stat().st_size > 0 and (tmp_path / "dancers_domains.png").exists()
    assert not (tmp_path / "streets_k.png").exists()  # a curve is plotted once it has two points
    assert md.split("## streets")[1].count("Not scored yet.") == 2  # (its K and domain studies)
    # The K study done, the domain study's models still training: the K curve, and the domains named unscored.
    _task(tmp_path / "tasks" / "faces.json", "cpu", methods={"fewshot": SCORES}, k={"1": SCORES, "2": SCORES})
    md = write_report(tmp_path, collect_results(tmp_path, "cpu"), METHOD_NAMES).read_text()
    faces = md.split("\n## faces")[1].split("\n## ")[0]
    assert "| K=2 |" in faces and faces.count("Not scored yet.") == 1 and "![K](faces_k.png)" in faces
    assert (tmp_path / "faces_k.png").exists() and not (tmp_path / "faces_domains.png").exists()
    # The methods picture leaves out the methods with no model kept, and the caption says so.
    (tmp_path / "dancers_methods.png").write_bytes(b"png")
    _task(tmp_path / "tasks" / "dancers.json", "cpu", methods={m: SCORES for m in METHOD_NAMES},
          sheet_methods=["fewshot", "adain"])
    md = write_report(tmp_path, collect_results(tmp_path, "cpu"), METHOD_NAMES).read_text()
    assert ("the driving input; few-shot vid2vid; AdaIN; the real frames: ![methods](dancers_methods.png) (not in the "
            "picture: Encoder; ConcatStyle; few-shot vid2vid, fast preset. The picture is drawn from the models") in md


def test_processes_running_other_methods_of_one_task_keep_each_others_scores(tmp_path):
    # Two processes (--methods encoder, --methods adain) load the same file, then score and save in turn: each save
    # merges what the other saved, so neither overwrites the other, and the time of both adds up.
    path = tmp_path / "tasks" / "dancers.json"
    r = BUDGETS["cpu"].refine_of("dancers")
    _task(path, "cpu", runs={"fewshot/seed0": SCORES},
          refined={"settings": r.settings(), "floor": None, "runs": {}, "methods": {}, "k": {}})
    first, second = TaskFile(path, "cpu"), TaskFile(path, "cpu")
    first.scores["runs"]["encoder/seed0"] = dict(SCORES, pose_error=4.0)
    first.scores["refined"]["runs"]["encoder/seed0"] = dict(SCORES, pose_error=5.0)
    first.scores["refined"]["floor"] = {"pose_error": 1.5}
    first.scores["sheet_recipes"], first.scores["sheet_methods"] = recipes("dancers"), ["fewshot", "encoder"]
    with first.lock():
        first.merge_and_write()
    second.scores["runs"]["adain/seed0"] = dict(SCORES, pose_error=6.0)
    second.scores["refined"]["runs"]["adain/seed1"] = dict(SCORES, pose_error=7.0)
    with second.lock():
        second.merge_and_write()
    saved = load_task(path, "cpu")
    assert set(saved["runs"]) == {"fewshot/seed0", "encoder/seed0", "adain/seed0"}
    assert set(saved["refined"]["runs"]) == {"encoder/seed0", "adain/seed1"}
    assert saved["refined"]["floor"] == {"pose_error": 1.5}
    assert saved["sheet_methods"] == ["fewshot", "encoder"]  # (the picture the first process drew)
    assert saved["methods"]["encoder"]["pose_error"] == 4.0
    assert saved["refined"]["methods"]["adain"]["pose_error"] == 7.0
    assert saved["seconds"] >= 10.0  # (the file's 10 s, plus each process's time since it loaded)
    # The first process saves again: it keeps what the second added meanwhile.
    with first.lock():
        first.merge_and_write()
    assert set(load_task(path, "cpu")["runs"]) == {"fewshot/seed0", "encoder/seed0", "adain/seed0"}


def test_methods_can_be_chosen_and_an_unknown_one_is_named(tmp_path):
    with pytest.raises(UserError, match="unknown method slow: choose from fewshot, encoder"):
        run_benchmark(tmp_path, "smoke", ("dancers",), progress=False, methods=("fast", "slow"))


def test_the_methods_picture_takes_each_methods_first_seed_that_has_a_model(tmp_path):
    names = ["dancers-adain-r3", "dancers-adain-seed1-r3"]
    assert first_trained(names, tmp_path, {}, 10) is None  # no model: the picture waits
    for name in names:
        (tmp_path / name).mkdir()
    (tmp_path / names[0] / "checkpoint-00000005.pt").write_bytes(b"")  # half trained (maybe training elsewhere)
    (tmp_path / names[1] / "checkpoint-00000010.pt").write_bytes(b"")
    assert first_trained(names, tmp_path, {}, 10) == 1
    assert first_trained(names, tmp_path, {names[0]: tmp_path / "x.pt"}, 10) == 0  # trained by this process


def test_the_methods_picture_is_redrawn_for_a_new_model_or_recipe_but_never_with_fewer_methods():
    current = recipes("dancers")
    drawn = {"sheet_recipes": current, "sheet_methods": ["fewshot", "fast"]}
    assert not sheet_stale(drawn, ["fewshot", "fast"], current, exists=True)
    assert not sheet_stale(drawn, ["fewshot"], current, exists=True)  # a run folder gone: the picture stays
    assert sheet_stale(drawn, ["fewshot", "adain"], current, exists=True)  # a method's model appeared
    assert sheet_stale(drawn, ["fewshot"], dict(current, fewshot=current["fewshot"] + 1), exists=True)
    assert sheet_stale(drawn, ["fewshot"], current, exists=False)


def test_a_method_whose_only_model_is_a_later_seed_trained_here_joins_the_picture(tmp_path, monkeypatch):
    # The picture is first drawn after the seed-0 scores; a method whose seed-0 model is not here (trained on another
    # machine) is left out then. When the same process trains its seed 1, the picture is drawn again with it.
    import vid2vid.evaluation.benchmark as bench
    import vid2vid.metrics as metrics
    from vid2vid.checkpoint import checkpoint_name

    b = BUDGETS["smoke"]
    train_domains = b.domains - b.test_domains
    every = {f"{arch}/seed{s}": SCORES for arch in ("fewshot", "adain") for s in range(b.seeds)}
    runs = {key: v for key, v in every.items() if key != "adain/seed1"}  # still to train; seed 0 scored elsewhere
    refined = {"settings": b.refine.settings(), "floor": {"pose_error": 1.0, "identity_drift": 0.03},
               "runs": every, "methods": {}, "k": {str(k): SCORES for k in b.ks}}
    _task(tmp_path / "tasks" / "dancers.json", "smoke", runs=runs, floor={"pose_error": 1.0, "identity_drift": 0.03},
          k={str(k): SCORES for k in b.ks}, domains={str(max(1, round(train_domains * f))): SCORES
                                                      for f in b.domain_fractions}, refined=refined)
    fewshot = tmp_path / "runs" / f"dancers-fewshot-r{recipes('dancers')['fewshot']}"
    fewshot.mkdir(parents=True)
    (fewshot / checkpoint_name(b.run.train.max_steps)).write_bytes(b"")  # its seed-0 model is here
    trained, drawn = [], []

    def train(out, name, *args, **kwargs):  # (a finished run is only resumed: its final checkpoint comes back)
        path = out / "runs" / name / checkpoint_name(b.run.train.max_steps)
        if not path.exists():
            trained.append(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
        return path

    def sheet(pipes, root, k, path, max_frames):
        drawn.append(list(pipes))
        path.write_bytes(b"png")

    monkeypatch.setattr(metrics, "InceptionFeatures", lambda: None)
    monkeypatch.setattr(bench, "_data", lambda out, kind, b, progress, size=None: tmp_path / "data")
    monkeypatch.setattr(bench, "_detectors", lambda *args, **kwargs: None)
    monkeypatch.setattr(bench, "_train", train)
    monkeypatch.setattr(bench, "train_hours", lambda path: None)
    monkeypatch.setattr(bench.Pipeline, "from_checkpoint", staticmethod(lambda path, weights: path))
    monkeypatch.setattr(bench, "evaluate", lambda *args: dict(SCORES))
    monkeypatch.setattr(bench, "method_sheet", sheet)
    task = run_benchmark(tmp_path, "smoke", ("dancers",), progress=False, methods=("fewshot", "adain"))
    assert trained == [f"dancers-adain-seed1-r{recipes('dancers')['adain']}"]
    assert drawn == [["few-shot vid2vid"], ["few-shot vid2vid", "AdaIN, seed 1"]]
    assert task["tasks"]["dancers"]["sheet_methods"] == ["fewshot", "adain"]
    drawn.clear()
    run_benchmark(tmp_path, "smoke", ("dancers",), progress=False, methods=("fewshot", "adain"))
    assert drawn == []  # nothing new: not drawn again


def test_the_studies_point_of_the_main_run_reuses_its_score_without_a_model(tmp_path):
    # Run folders may be gone between sessions: the K study's K = eval_k point and the domains study's all-domains
    # point are the main seed-0 run scored alike, so they are copied, not retrained.
    b = BUDGETS["smoke"]
    train_domains = b.domains - b.test_domains
    runs = {f"{arch}/seed{s}": SCORES for arch in METHOD_NAMES for s in range(b.seeds)}
    main = dict(SCORES, pose_error=1.5)
    runs["fewshot/seed0"] = main
    others = {str(max(1, round(train_domains * f))): SCORES for f in b.domain_fractions if f != 1.0}
    refined = {"settings": b.refine.settings(), "floor": None, "runs": dict(runs), "methods": {},
               "k": {str(k): SCORES for k in b.ks if k != b.eval_k}}  # (the second stage's too)
    _task(tmp_path / "tasks" / "dancers.json", "smoke", runs=runs,
          k={str(k): SCORES for k in b.ks if k != b.eval_k}, domains=others, refined=refined)
    task = run_benchmark(tmp_path, "smoke", ("dancers",), progress=False)["tasks"]["dancers"]
    assert task["domains"][str(train_domains)] == main and task["k"][str(b.eval_k)] == main
    assert task["refined"]["k"][str(b.eval_k)] == main
    assert not (tmp_path / "runs").exists()  # nothing trained
    # A floor from before the real frames' drift was measured is measured again, with it (and the pose error)
    assert task["floor"]["identity_drift"] > 0 and task["floor"]["pose_error"] != 1.0


def test_the_plots_draw_the_real_frames_line_so_a_flat_metric_does_not_fill_its_panel(tmp_path, monkeypatch):
    from vid2vid.evaluation import report

    figures = []
    monkeypatch.setattr(report, "save_figure_atomic", lambda fig, path, dpi: figures.append(fig))
    series = {"9": {"landmark_error": 0.949, "fid": 38.4}, "36": {"landmark_error": 0.961, "fid": 32.3}}
    keys = [("landmark_error", "landmark"), ("fid", "FID")]
    report._plot(tmp_path / "p.png", series, "training domains", keys, {"landmark_error": 0.5})
    landmark, fid = figures[0].axes
    assert len(landmark.lines) == 2 and landmark.get_ylim()[0] < 0.5 < landmark.get_ylim()[1]
    assert len(fid.lines) == 1  # no real-frames FID: no line
    report._plot(tmp_path / "p.png", series, "training domains", keys, None)  # a task without a floor yet
    assert len(figures[1].axes[0].lines) == 1


def test_a_metric_without_a_real_frames_line_that_barely_moves_reads_flat():
    from vid2vid.evaluation.report import y_range

    low, high = y_range([26.79, 26.81])  # FID of the dancers domain study: 0.02 apart
    assert low < 26.79 and high > 26.81 and high - low >= 0.1 * 26.8 - 1e-9  # the change is 1 % of the panel
    low, high = y_range([49.7, 26.8, 22.5, 22.3])  # a real trend keeps its own range (a little margin)
    assert 22.3 - 2 < low < 22.3 and 49.7 < high < 49.7 + 2
    assert y_range([0.0, 0.0]) == (-1e-6, 1e-6) and y_range([float("nan")]) == (-1e-6, 1e-6)
