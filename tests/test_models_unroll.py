"""unroll() and its streaming form share one step; history handling; baselines and vid2vid through unroll."""

import pytest
import torch

from vid2vid import tasks
from vid2vid.models import Stream, build_generator, stack_frames, unroll
from vid2vid.models.outputs import pad_history


pytestmark = pytest.mark.usefixtures("one_thread")


def make(task="pose", arch="fewshot"):
    torch.manual_seed(0)
    c = {"pose": 6, "street": 20}[task]
    return build_generator(tasks.get(task).generator_config("tiny", c, arch=arch)).eval(), c


def data(c, b=1, t=5, k=2, size=32):
    g = torch.Generator().manual_seed(2)
    return (torch.rand(b, t, c, size, size, generator=g), torch.rand(b, k, 3, size, size, generator=g) * 2 - 1,
            torch.rand(b, k, c, size, size, generator=g))


def test_stream_matches_unroll_and_keeps_only_n_frames():
    model, c = make()
    semantics, examples, example_semantics = data(c)
    with torch.no_grad():
        ref = stack_frames(unroll(model, semantics, examples, example_semantics), "image")
        stream = Stream(model, examples, example_semantics)
        got = torch.stack([out.image for out in stream(semantics.unbind(1))], dim=1)
    assert torch.equal(ref, got)
    n = model.cfg.num_prev_frames
    assert stream.state.prev_frames.shape[1] == n and stream.state.prev_semantics.shape[1] == n


def test_seeding_with_real_frames_changes_the_first_frame_only_through_history():
    model, c = make("street")
    semantics, examples, example_semantics = data(c, t=2)
    # Label maps are one-hot: the foreground branch draws the objects' pixels alone, history reaches the rest.
    semantics = torch.nn.functional.one_hot(semantics.argmax(2), c).movedim(-1, 2).float()
    real = torch.rand(1, 1, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        seeded = unroll(model, semantics, examples, example_semantics, prev_frames=real,
                        prev_semantics=semantics[:, :1])
        fresh = unroll(model, semantics, examples, example_semantics)
    assert seeded[0].warped is not None and fresh[0].warped is None
    assert not torch.allclose(seeded[0].image, fresh[0].image)


def test_detach_prev_controls_gradient_through_fed_back_frames():
    model, c = make("street")
    model.train()
    semantics, examples, example_semantics = data(c, t=2)
    for detach in (True, False):
        model.zero_grad()
        outs = unroll(model, semantics, examples, example_semantics, detach_prev=detach)
        first = outs[0].image
        first.retain_grad()
        outs[1].image.sum().backward()
        assert (first.grad is None) == detach


def test_pad_history_repeats_the_oldest_and_keeps_the_newest():
    h = torch.arange(3.0).view(1, 3, 1)
    assert pad_history(h, 5).flatten().tolist() == [0, 0, 0, 1, 2]
    assert pad_history(h, 2).flatten().tolist() == [1, 2]


def test_vid2vid_mode_needs_no_examples():
    model, c = make("pose", "vid2vid")
    semantics = data(c)[0]
    with torch.no_grad():
        outs = unroll(model, semantics)
    assert stack_frames(outs, "image").shape == (1, 5, 3, 32, 32)
    assert outs[0].example_warped is None
