"""GeneratorConfig presets, validation and parameter counts (paper sizes counted on the meta device)."""

import dataclasses

import pytest
import torch

from vid2vid import tasks
from vid2vid.errors import UserError
from vid2vid.models import GeneratorConfig, build_generator
from vid2vid.models.layers import count_parameters


pytestmark = pytest.mark.usefixtures("one_thread")

SEMANTIC = {"pose": 6, "face": 1, "street": 20}
# The reference implementation's generator sizes (pose and face share the architecture).
PUBLISHED = {"pose": 112.1e6, "face": 112.1e6, "street": 83.7e6}


def test_every_field_has_a_default_and_plain_type():
    for f in dataclasses.fields(GeneratorConfig):
        assert f.default is not dataclasses.MISSING, f.name
        assert isinstance(f.default, (int, float, bool, str, tuple)), f.name
    # round trip through a mapping
    GeneratorConfig(**dataclasses.asdict(tasks.get("pose").generator_config("small", 6)))


def test_config_is_frozen():
    cfg = tasks.get("pose").generator_config("tiny", 6)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.base_channels = 3


@pytest.mark.parametrize("task", list(SEMANTIC))
def test_paper_preset_parameter_count_matches_published(task, capsys):
    # spectral norm adds buffers, not parameters; leaving it out makes the meta-device build instant
    cfg = tasks.get(task).generator_config("paper", SEMANTIC[task], spectral_norm=False)
    with torch.device("meta"):
        count = count_parameters(build_generator(cfg))
    with capsys.disabled():
        print(f"\npaper preset, {task}: {count / 1e6:.2f} M generator parameters "
              f"(published {PUBLISHED[task] / 1e6:.1f} M)")
    assert abs(count - PUBLISHED[task]) <= 0.10 * PUBLISHED[task]


@pytest.mark.parametrize("task", list(SEMANTIC))
@pytest.mark.parametrize("arch", ["fewshot", "vid2vid", "encoder", "concat", "adain"])
def test_tiny_preset_is_under_a_million_parameters(task, arch):
    model = build_generator(tasks.get(task).generator_config("tiny", SEMANTIC[task], arch=arch))
    assert count_parameters(model) < 1_000_000


def test_spectral_norm_does_not_change_the_parameter_count():
    with_sn = build_generator(tasks.get("pose").generator_config("tiny", 6))
    without = build_generator(tasks.get("pose").generator_config("tiny", 6, spectral_norm=False))
    assert count_parameters(with_sn) == count_parameters(without)


def test_semantic_channels_come_from_the_caller():
    cfg = tasks.get("street").generator_config("small", 35)
    assert cfg.semantic_channels == 35
    assert build_generator(cfg).flow.down[0].conv.in_channels == 35 * 3 + 3 * 2


def test_bad_settings_are_rejected_by_name():
    with pytest.raises(UserError, match="nonsense"):
        tasks.get("pose").generator_config("tiny", 6, nonsense=1)
    with pytest.raises(UserError, match="arch"):
        tasks.get("pose").generator_config("tiny", 6, arch="unet")
    with pytest.raises(UserError, match="preset"):
        tasks.get("pose").generator_config("huge", 6)
    with pytest.raises(UserError, match="example_warp"):
        GeneratorConfig(arch="vid2vid", example_warp=True)


def test_vid2vid_preset_drops_example_warping():
    cfg = tasks.get("pose").generator_config("tiny", 6, arch="vid2vid")
    assert cfg.arch == "vid2vid" and not cfg.example_warp
