from dataclasses import dataclass, field

import pytest

from vid2vid.config import DataConfig, from_mapping, load_yaml, to_dict
from vid2vid.errors import UserError


@dataclass(frozen=True)
class Inner:
    lr: float = 1e-3  # learning rate
    sizes: tuple[int, ...] = (1, 2)


@dataclass(frozen=True)
class Outer:
    name: str = "x"
    inner: Inner = field(default_factory=Inner)


def test_nested_mapping_and_round_trip():
    cfg = from_mapping(Outer, {"name": "y", "inner": {"lr": 2, "sizes": [3, 4]}})
    assert cfg == Outer("y", Inner(2.0, (3, 4)))
    assert to_dict(cfg) == {"name": "y", "inner": {"lr": 2.0, "sizes": [3, 4]}}


def test_unknown_key_names_key_and_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: a\ninner:\n  lr: 1\n  lrr: 2\n")
    with pytest.raises(UserError) as err:
        load_yaml(path, Outer)
    assert "lrr" in str(err.value) and str(path) in str(err.value)


@pytest.mark.parametrize("text,needle", [("inner: {lr: .nan}", "finite"), ("inner: {lr: abc}", "number"),
                                         ("name: [1]", "string"), ("- 1\n- 2", "mapping"), ("a: [", "YAML")])
def test_bad_values_are_user_errors(tmp_path, text, needle):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(UserError, match=needle):
        load_yaml(path, Outer)


def test_missing_file():
    with pytest.raises(UserError, match="not found"):
        load_yaml("/nonexistent/c.yaml", Outer)


def test_data_config_validation():
    with pytest.raises(UserError, match="seq_len"):
        DataConfig(seq_len=0)
    with pytest.raises(UserError, match="examples_from"):
        from_mapping(DataConfig, {"examples_from": "elsewhere"})
