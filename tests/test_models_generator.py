"""The sequential generator with the tiny preset: shapes, the blending formula, gradients, caching, determinism."""

import io
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from vid2vid import tasks
from vid2vid.errors import UserError
from vid2vid.models import build_generator, stack_frames, unroll
from vid2vid.models.embedding import WeightHead
from vid2vid.models.flow import FlowOutput
from vid2vid.models.generator import by_layout, drawn_region, layout_disagreement
from vid2vid.models.layers import as_channels_last, inference_copy
from vid2vid.models.part_flow import part_flow
from vid2vid.models.warp import warp


pytestmark = pytest.mark.usefixtures("one_thread")

SEMANTIC = {"pose": 6, "face": 1, "street": 20}
ARCHS = ["fewshot", "vid2vid", "encoder", "concat", "adain"]


def make(task="pose", arch="fewshot", seed=0, **overrides):
    torch.manual_seed(seed)
    return build_generator(tasks.get(task).generator_config("tiny", SEMANTIC[task], arch=arch, **overrides))


def inputs(task="pose", b=2, t=3, k=1, size=32, seed=1):
    g = torch.Generator().manual_seed(seed)
    c = SEMANTIC[task]
    semantics = torch.rand(b, t, c, size, size, generator=g)
    examples = torch.rand(b, k, 3, size, size, generator=g) * 2 - 1
    example_semantics = torch.rand(b, k, c, size, size, generator=g)
    return semantics, examples, example_semantics


def run(model, semantics, examples, example_semantics, **kw):
    if not model.uses_examples:
        examples = example_semantics = None
    return unroll(model, semantics, examples, example_semantics, **kw)


@pytest.mark.parametrize("arch,k", [(a, k) for a in ARCHS for k in ([1] if a == "vid2vid" else [1, 2, 4])])
@pytest.mark.parametrize("task", list(SEMANTIC))
def test_output_shapes(arch, task, k):
    model = make(task, arch).eval()
    b, t, size = 2, 3, 32
    with torch.no_grad():
        outs = run(model, *inputs(task, b, t, k, size))
    assert len(outs) == t
    assert stack_frames(outs, "image").shape == (b, t, 3, size, size)
    assert stack_frames(outs, "hallucinated").shape == (b, t, 3, size, size)
    assert outs[0].flow is None and outs[0].mask is None and outs[0].warped is None  # no history on frame 0
    for out in outs[1:]:
        assert out.flow.shape == (b, 2, size, size) and out.mask.shape == (b, 1, size, size)
        assert out.warped.shape == (b, 3, size, size)
        assert 0 <= out.mask.min() and out.mask.max() <= 1
    example_warp = model.cfg.example_warp
    assert (outs[0].example_warped is not None) == example_warp
    if example_warp:
        assert outs[0].example_flow.shape == (b, 2, size, size)
    if arch == "fewshot" and k > 1:
        a = model.cfg.attention_downsamples
        assert outs[1].attention.shape == (b, k, size // 2**a, size // 2**a)
        assert outs[1].example_index.shape == (b,)
    else:
        assert outs[1].attention is None
    assert all(torch.isfinite(o.image).all() for o in outs)


@pytest.mark.parametrize("task", ["pose", "street"])
def test_output_is_the_matting_of_warped_and_hallucinated(task):
    # (the street task's foreground branch, on by default, is composed on top: its own test below)
    model = make(task, compose="blend", foreground=False).eval()
    with torch.no_grad():
        outs = run(model, *inputs(task, t=2, k=2))
    out = outs[1]
    h = out.hallucinated
    if out.example_warped is not None:
        h = (1 - out.example_mask) * out.example_warped + out.example_mask * h
        assert torch.allclose(outs[0].image, (1 - outs[0].example_mask) * outs[0].example_warped
                              + outs[0].example_mask * outs[0].hallucinated, atol=1e-6)
    else:
        assert torch.equal(outs[0].image, outs[0].hallucinated)
    assert torch.allclose(out.image, (1 - out.mask) * out.warped + out.mask * h, atol=1e-6)


def _grad_norm(module):
    grads = [p.grad.abs().sum() for p in module.parameters() if p.grad is not None]
    return float(sum(grads)) if grads else 0.0


@pytest.mark.parametrize("task", ["pose", "street"])
def test_gradients_reach_every_network(task):
    model = make(task).train()
    semantics, examples, example_semantics = inputs(task, t=2, k=2)
    if task == "street":  # one-hot labels: the foreground branch draws its classes, the rest shows the background
        semantics = F.one_hot(semantics.argmax(2), semantics.shape[2]).movedim(-1, 2).float()
    outs = run(model, semantics, examples, example_semantics)
    loss = sum((o.image ** 2).mean() + o.hallucinated.abs().mean() for o in outs)
    loss.backward()
    app = model.appearance
    parts = {"E_F": app.encoder, "E_P": app.weights, "E_A key": app.attention.key, "E_A query": app.attention.query,
             "W (flow head)": model.flow.flow_head, "M (mask head)": model.flow.mask_head,
             "W/M trunk": model.flow.down, "H": model.synthesis}
    if model.previous_embedding is not None:
        parts["previous-frame embedding"] = model.previous_embedding
    if model.foreground is not None:
        parts["foreground branch"] = model.foreground
    for name, module in parts.items():
        assert _grad_norm(module) > 0, f"no gradient reaches {name}"


@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("arch", ["fewshot", "adain"])
def test_encoding_examples_once_equals_encoding_per_frame(k, arch):
    model = make("pose", arch).eval()
    semantics, examples, example_semantics = inputs("pose", t=3, k=k)
    with torch.no_grad():
        once = unroll(model, semantics, examples, example_semantics)
        prev_s = prev_f = None
        for t in range(semantics.shape[1]):
            out = model(semantics[:, t], examples, example_semantics, prev_s, prev_f)  # re-encodes the examples
            assert torch.equal(out.image, once[t].image)
            prev_s = semantics[:, :t + 1]
            prev_f = torch.stack([o.image for o in once[:t + 1]], dim=1)


def test_k1_code_holds_the_generated_weights_and_nothing_is_recomputed_per_frame():
    model = make("pose", attend_single_example=False).eval()  # the reference's K = 1 path: no attention
    semantics, examples, example_semantics = inputs("pose", k=1)
    calls = []
    handle = model.appearance.encoder.register_forward_pre_hook(lambda *a: calls.append(1))
    for module in (model.appearance.encoder.image_first, model.appearance.weights):
        module.register_forward_hook(lambda *a: calls.append(1))
    with torch.no_grad():
        code = model.encode_examples(examples, example_semantics)
        assert code.conditioning is not None and code.conditioning.block_weights is not None
        n = len(calls)
        unroll(model, semantics, code=code)
    handle.remove()
    assert len(calls) == n  # E_F and E_P never ran inside the per-frame loop


def test_same_seed_same_output_and_different_seed_differs():
    semantics, examples, example_semantics = inputs("pose", k=2)
    with torch.no_grad():
        a = stack_frames(run(make(seed=3).eval(), semantics, examples, example_semantics), "image")
        b = stack_frames(run(make(seed=3).eval(), semantics, examples, example_semantics), "image")
        c = stack_frames(run(make(seed=4).eval(), semantics, examples, example_semantics), "image")
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_state_dict_round_trip():
    model = make("pose")
    model.train()
    run(model, *inputs("pose", k=2))  # updates batch-norm statistics and spectral-norm vectors
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    other = make("pose", seed=9)
    other.load_state_dict(torch.load(buffer, weights_only=True))
    data = inputs("pose", k=2)
    with torch.no_grad():
        assert torch.equal(stack_frames(run(model.eval(), *data), "image"),
                           stack_frames(run(other.eval(), *data), "image"))


@pytest.mark.parametrize("task", ["pose", "street"])
def test_inference_copy_and_channels_last_match_eval_model(task):
    model = make(task)
    model.train()
    run(model, *inputs(task, k=2))  # non-trivial batch-norm statistics
    model.eval()
    data = inputs(task, k=2)
    with torch.no_grad():
        ref = stack_frames(run(model, *data), "image")
        fast = as_channels_last(inference_copy(model))
        got = stack_frames(run(fast, *data), "image")
        again = stack_frames(run(model, *data), "image")  # the original model is unchanged by the copy
    assert torch.equal(ref, again)
    assert not any(n.endswith("original") for n, _ in fast.named_parameters())
    assert torch.allclose(ref, got, atol=1e-4)


@pytest.mark.parametrize("k", [1, 2])
def test_bf16_autocast_runs_close_to_fp32(k):
    model = make("pose").eval()
    data = inputs("pose", k=k)
    with torch.no_grad():
        ref = run(model, *data)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = run(model, *data)
    # With K = 2 an untrained model's attention is a near tie, so bf16 may pick the other example to warp:
    # compare H's output there, and the final frame for K = 1.
    field = "image" if k == 1 else "hallucinated"
    a, b = stack_frames(ref, field), stack_frames(low, field)
    assert b.shape == a.shape and torch.isfinite(b.float()).all()
    assert (b.float() - a).abs().mean() < 0.02


def test_bad_inputs_are_explained():
    model = make("pose").eval()
    semantics, examples, example_semantics = inputs("pose", size=36)
    with pytest.raises(ValueError, match="multiple"):
        unroll(model, semantics, examples, example_semantics)
    with pytest.raises(ValueError, match="example"):
        unroll(model, inputs("pose")[0])


def test_zero_flow_head_warps_previous_frame_and_example_unchanged():
    model = make("pose").eval()
    with torch.no_grad():
        model.flow.flow_head.weight.zero_()
        model.flow.flow_head.bias.zero_()
        semantics, examples, example_semantics = inputs("pose", t=2, k=1)
        outs = run(model, semantics, examples, example_semantics)
    assert torch.all(outs[1].flow == 0)
    assert torch.allclose(outs[1].warped, outs[0].image, atol=1e-5)
    assert torch.allclose(outs[1].example_warped, examples[:, 0], atol=1e-5)


def test_spade_compose_outputs_the_decoder_and_still_uses_the_warps():
    model = make("pose", compose="spade").eval()
    with torch.no_grad():
        outs = run(model, *inputs("pose", t=2, k=2))
    assert all(torch.equal(o.image, o.hallucinated) for o in outs)
    assert outs[1].warped is not None and outs[1].example_warped is not None
    model.train()
    outs = run(model, *inputs("pose", t=2, k=1))
    outs[1].image.mean().backward()  # the flow network is reached through the warped-image modulation
    assert _grad_norm(model.flow) > 0
    from vid2vid.errors import UserError

    with pytest.raises(UserError, match="warp_embedding"):
        tasks.get("pose").generator_config("tiny", 6, compose="spade", warp_embedding=False)
    with pytest.raises(UserError, match="compose"):
        tasks.get("pose").generator_config("tiny", 6, compose="paste")


def test_example_compose_blends_the_warped_example_and_not_the_previous_frame():
    model = make("pose", compose="example").eval()
    with torch.no_grad():
        outs = run(model, *inputs("pose", t=3, k=2))
    for o in outs:
        assert torch.allclose(o.image, (1 - o.example_mask) * o.example_warped + o.example_mask * o.hallucinated,
                              atol=1e-6)
        assert o.blended is None
    assert outs[1].warped is not None and outs[1].mask is not None  # the previous frame still modulates h_t
    from vid2vid.errors import UserError

    with pytest.raises(UserError, match="needs example_warp"):
        tasks.get("street").generator_config("tiny", 6, compose="example")


def test_example_fill_warps_the_runner_up_example_into_what_the_chosen_one_cannot_show():
    model = make("pose", compose="example", example_fill=True).eval()
    with torch.no_grad():
        outs = run(model, *inputs("pose", t=3, k=3))
    for o in outs:
        ranked = o.attention.flatten(2).sum(2).argsort(dim=1, descending=True)
        assert torch.equal(o.fill_index, ranked[:, 1]) and torch.all(o.fill_index != o.example_index)
        filled = (1 - o.fill_mask) * o.fill_warped + o.fill_mask * o.hallucinated
        assert torch.allclose(o.image, (1 - o.example_mask) * o.example_warped + o.example_mask * filled, atol=1e-5)
        assert o.fill_flow.shape == o.example_flow.shape
    assert outs[1].warped is not None  # the previous frame's flow comes from the same pass
    with torch.no_grad():  # one example: nothing to fill with, the plain example composition
        single = run(model, *inputs("pose", t=2, k=1))
    assert all(o.fill_index is None and o.fill_warped is None for o in single)
    with pytest.raises(UserError, match="example_fill"):
        tasks.get("pose").generator_config("tiny", 6, compose="spade", example_fill=True)
    with pytest.raises(UserError, match="example_fill"):
        tasks.get("pose").generator_config("tiny", 6, arch="adain", compose="example", example_fill=True)


def test_fill_depth_nests_each_further_runner_up_under_the_filler():
    deep = make("pose", compose="example", example_fill=True, fill_depth=3).eval()
    two = make("pose", compose="example", example_fill=True).eval()
    two.load_state_dict(deep.state_dict())  # the same weights: fill_depth adds none
    with torch.no_grad():  # two examples: K caps the depth, the frame is the trained two-deep composition
        capped, base = run(deep, *inputs("pose", t=2, k=2)), run(two, *inputs("pose", t=2, k=2))
    assert all(torch.equal(a.image, b.image) for a, b in zip(capped, base))
    passes = []
    deep.flow.register_forward_hook(lambda m, args, out: passes.append(out))
    semantics, examples, example_semantics = inputs("pose", t=2, k=3)
    with torch.no_grad():
        outs = run(deep, semantics, examples, example_semantics)
    for o, flows in zip(outs, passes):  # one pass of the flow network per frame, on all three examples
        third = o.attention.flatten(2).sum(2).argsort(dim=1, descending=True)[:, 2]
        flow, mask = flows.example_flow.chunk(3)[2], flows.example_mask.chunk(3)[2]
        third_warped = warp(examples[torch.arange(2), third], flow)
        below = third_warped + mask * (o.hallucinated - third_warped)  # the third example fills what the filler cannot
        filled = o.fill_warped + o.fill_mask * (below - o.fill_warped)
        assert torch.allclose(o.image, o.example_warped + o.example_mask * (filled - o.example_warped), atol=1e-5)
        assert not torch.allclose(o.image, o.example_warped + o.example_mask * (
            o.fill_warped + o.fill_mask * (o.hallucinated - o.fill_warped) - o.example_warped), atol=1e-5)
    with pytest.raises(UserError, match="fill_depth"):
        tasks.get("pose").generator_config("tiny", 6, compose="example", example_fill=True, fill_depth=1)


def test_layout_order_puts_the_example_that_warps_onto_the_frame_best_first_per_item():
    frame = torch.zeros(2, 6, 16, 16)
    frame[:, :, 4:12, 6:10] = 1  # a body at the frame's place
    moved = torch.roll(frame, 4, dims=3)  # an example standing elsewhere
    zero = torch.zeros(2, 2, 16, 16)
    shift = zero.clone()
    shift[:, 0] = 4  # warp samples x + 4: brings the moved body back onto the frame's
    images = [torch.full((2, 3, 16, 16), float(v)) for v in (1, 2, 3)]
    third = torch.cat([moved[:1], frame[1:]])
    examples = [(moved, images[0]), (moved, images[1]), (third, images[2])]
    # item 0: only example 1 warps onto the frame (by the shift); item 1: only example 2 does (it stands there)
    flows = [FlowOutput(zero + i, zero[:, :1] + i, zero.clone(), zero[:, :1] + i / 10) for i in range(3)]
    flows[1].example_flow[0] = shift[0]
    indices = [torch.tensor([5, 6]), torch.tensor([7, 8]), torch.tensor([9, 10])]
    (semantic, image), fillers, first, second, rest, index, fill_index = by_layout(frame, examples, flows, indices)
    assert index.tolist() == [7, 10] and fill_index.tolist() == [5, 6]  # equal errors keep the attention's order
    assert image[0].eq(2).all() and image[1].eq(3).all() and torch.equal(semantic[1], frame[1])
    assert torch.equal(first.example_flow[0], shift[0]) and first.example_mask[1].eq(0.2).all()
    assert first.flow.eq(0).all() and second.flow.eq(1).all()  # each output keeps its previous-frame flow
    assert [f[1][:, 0, 0, 0].tolist() for f in fillers] == [[1, 1], [3, 2]]
    assert rest[0].example_mask[0].eq(0.2).all() and rest[0].example_mask[1].eq(0.1).all()
    model = make("pose", compose="example", example_fill=True, example_order="layout").eval()
    with torch.no_grad():
        outs = run(model, *inputs("pose", t=2, k=3))
    for o in outs:
        assert not torch.equal(o.fill_index, o.example_index) and o.image.shape == o.hallucinated.shape
    with pytest.raises(UserError, match="example_order"):
        tasks.get("pose").generator_config("tiny", 6, example_order="pose")


def test_embedding_gate_hides_what_the_masks_reject_from_the_decoder():
    model = make("pose", compose="example", example_fill=True, embedding_gate=True).eval()
    seen = []
    model.example_embedding.register_forward_hook(lambda m, args, out: seen.append(args))
    with torch.no_grad():
        outs = run(model, *inputs("pose", t=2, k=2))
    for o, (image, mask) in zip(outs, seen):
        shown = o.example_warped + o.example_mask * (o.fill_warped - o.example_warped)
        kept = o.example_mask * o.fill_mask
        assert torch.allclose(mask, kept) and torch.allclose(image, shown * (1 - kept), atol=1e-6)
    ungated = make("pose", compose="example", example_fill=True).eval()
    ungated.load_state_dict(model.state_dict())  # same weights: only the gate differs, and it changes h_t
    with torch.no_grad():
        plain = run(ungated, *inputs("pose", t=2, k=2))
    assert not torch.allclose(plain[0].hallucinated, outs[0].hallucinated)
    with pytest.raises(UserError, match="embedding_gate"):
        tasks.get("street").generator_config("tiny", 6, embedding_gate=True)


def test_foreground_branch_draws_the_foreground_classes_and_leaves_the_background():
    model = make("street", arch="vid2vid", foreground=True).eval()
    channels = model.cfg.foreground_channels
    assert channels == tuple(tasks.get("street").label_names.index(n) for n in tasks.get("street").foreground_labels)
    semantic = torch.zeros(1, SEMANTIC["street"], 32, 32)
    semantic[:, 0] = 1
    semantic[:, 0, 8:16, 8:24], semantic[:, channels[2], 8:16, 8:24] = 0, 1  # a car on the road
    history = (semantic[:, None].repeat(1, 2, 1, 1, 1), torch.rand(1, 2, 3, 32, 32) * 2 - 1)
    with torch.no_grad():
        out = model(semantic, None, None, *history)
        torch.testing.assert_close(out.image[:, :, 8:16, 8:24], out.foreground[:, :, 8:16, 8:24])
        model.foreground.to_image.bias.add_(0.5)  # another foreground branch output
        again = model(semantic, None, None, *history)
    background = torch.ones(32, 32, dtype=torch.bool)
    background[8:16, 8:24] = False
    assert torch.equal(again.image[..., background], out.image[..., background])
    assert not torch.equal(again.image[:, :, 8:16, 8:24], out.image[:, :, 8:16, 8:24])


@pytest.mark.parametrize("task,extra,needle", [("pose", {}, "this task marks none"),
                                               ("street", {"compose": "spade", "warp_embedding": True},
                                                "set compose to blend")])
def test_foreground_needs_foreground_classes_and_the_blend(task, extra, needle):
    with pytest.raises(UserError, match=needle):
        make(task, arch="vid2vid", foreground=True, **extra)


def test_decoder_body_draws_where_the_driving_map_draws_and_composes_the_rest():
    model = make("pose", compose="example", example_fill=True, decoder_body=True).eval()
    semantics, examples, example_semantics = inputs("pose", t=2, k=2)
    semantics[:, :, :, :, :16] = 0  # the left half of every frame has no body
    with torch.no_grad():
        outs = run(model, semantics, examples, example_semantics)
    for o in outs:
        filled = (1 - o.fill_mask) * o.fill_warped + o.fill_mask * o.hallucinated
        composed = (1 - o.example_mask) * o.example_warped + o.example_mask * filled
        assert torch.allclose(o.image[..., :15], composed[..., :15], atol=1e-5)  # 1 px margin at 32 px
        assert torch.equal(o.image[..., 17:], o.hallucinated[..., 17:])
        assert not torch.allclose(o.image[..., :15], o.hallucinated[..., :15])
    with pytest.raises(UserError, match="decoder_body"):
        tasks.get("pose").generator_config("tiny", 6, compose="spade", decoder_body=True)


def test_layout_gate_keeps_an_example_out_where_its_warped_map_disagrees_with_the_frames():
    frame, example = torch.zeros(1, 3, 32, 32), torch.zeros(1, 3, 32, 32)
    frame[:, 1, 8:16, 4:10] = 1  # the frame's body on the left
    example[:, 1, 8:16, 20:26] = 1  # the example's body 16 px to the right
    mask = torch.full((1, 1, 32, 32), 0.25)
    right = torch.zeros(1, 2, 32, 32)
    right[:, 0] = 16.0  # sample 16 px to the right: the example's body lands on the frame's
    gated = layout_disagreement(drawn_region(frame), example, right, mask)
    assert torch.allclose(gated, mask)  # the right warp agrees everywhere: the learned mask stays
    gated = layout_disagreement(drawn_region(frame), example, torch.zeros_like(right), mask)  # the wrong warp
    disagree = (drawn_region(frame) - drawn_region(example)).abs() > 0
    assert torch.all(gated[disagree] == 1) and torch.allclose(gated[~disagree], mask[~disagree])
    assert disagree[..., 10, 5] and disagree[..., 10, 22]  # both bodies: background on the body, body on background

    model = make("pose", compose="example", example_fill=True, layout_gate=True).eval()
    semantics, examples, example_semantics = inputs("pose", t=2, k=2)
    with torch.no_grad():
        outs = run(model, semantics, examples, example_semantics)
    for o in outs:  # the composition uses the gated masks, which are never below the network's
        filled = (1 - o.fill_mask) * o.fill_warped + o.fill_mask * o.hallucinated
        assert torch.allclose(o.image, (1 - o.example_mask) * o.example_warped + o.example_mask * filled, atol=1e-5)
    with pytest.raises(UserError, match="layout_gate"):
        tasks.get("pose").generator_config("tiny", 6, compose="spade", layout_gate=True)


@pytest.mark.parametrize("skips", [False, True])
def test_flow_skips_let_the_inputs_reach_the_flow_heads_past_the_bottleneck(skips):
    from vid2vid.models.flow import FlowNetwork

    cfg = tasks.get("pose").generator_config("tiny", 6, flow_skips=skips)
    torch.manual_seed(0)
    net = FlowNetwork(cfg).eval()
    assert set(net.state_dict()) == set(FlowNetwork(replace(cfg, flow_skips=not skips)).state_dict())  # same weights
    with torch.no_grad():
        net.up[0].norm.weight.zero_()  # cut the path through the bottleneck: its first up block outputs zeros
        net.up[0].norm.bias.zero_()
    semantics, examples, example_semantics = inputs("pose", b=2, t=1)
    with torch.no_grad():
        out = net(semantics[:, 0], None, None, example_semantics[:, 0], examples[:, 0])
    varies = bool((out.example_flow[0] - out.example_flow[1]).abs().max() > 1e-4)
    assert varies == skips  # without skips the heads see only what came through the bottleneck: a constant


def test_the_few_shot_generator_runs_with_attention_coords():
    cfg = tasks.get("street").generator_config("tiny", SEMANTIC["street"], attention_coords=True)
    torch.manual_seed(0)
    model = build_generator(cfg).eval()
    semantics, examples, example_semantics = inputs("street", b=1, t=2, k=2)
    with torch.no_grad():
        outs = run(model, semantics, examples, example_semantics)
    assert len(outs) == 2 and all(torch.isfinite(o.image).all() for o in outs)


@pytest.mark.parametrize("start", ["example", "semantic"])
def test_the_few_shot_decoder_starts_from_the_example_or_the_semantic_bottleneck(start):
    model = make("street", decoder_start=start).eval()
    assert set(model.state_dict()) == set(make("street").state_dict())  # no new weights either way
    semantic_bottleneck, example_bottleneck = torch.randn(1, 32, 4, 4), torch.randn(1, 32, 4, 4)
    cond = type("Cond", (), {"bottleneck": example_bottleneck})()
    start_features = model.appearance.decoder_input(semantic_bottleneck, cond)
    assert start_features is (semantic_bottleneck if start == "semantic" else example_bottleneck)
    semantics, examples, example_semantics = inputs("street", b=1, t=2, k=2)
    with torch.no_grad():
        outs = run(model, semantics, examples, example_semantics)
    assert len(outs) == 2 and all(torch.isfinite(o.image).all() for o in outs)


def test_decoder_start_refuses_unknown_values():
    with pytest.raises(UserError, match="decoder_start"):
        tasks.get("street").generator_config("tiny", SEMANTIC["street"], decoder_start="middle")


@pytest.mark.parametrize("kernel", [1, 3])
def test_the_generated_embedding_layers_draw_edges_finer_than_their_level_only_with_kernel_3(kernel):
    model = make("street", embedding_kernel=kernel).eval()
    semantics, examples, example_semantics = inputs("street", b=1, t=1, k=2)
    with torch.no_grad():
        cond = model.appearance.condition(model.appearance.encode(examples, example_semantics), semantics[:, 0])
        finest = model.synthesis.embedding(semantics[:, 0], cond.embed_weights)[0]
        outs = run(model, semantics, examples, example_semantics)
    assert torch.isfinite(outs[0].image).all()
    block = 2 ** model.synthesis.embedding.num_generated  # the adaptive levels' pixels per coarsest adaptive pixel
    blocks = finest.unflatten(2, (-1, block)).unflatten(4, (-1, block))  # (B, C, h, block, w, block)
    spread = (blocks.amax(dim=(3, 5)) - blocks.amin(dim=(3, 5))).max().item()
    if kernel == 1:  # pointwise convs then nearest upsampling: constant over each block
        assert spread == 0
    else:  # upsampling then 3x3 convs: the map varies inside the blocks (edges can be placed finer)
        assert spread > 1e-3


def test_embedding_kernel_is_refused_unless_1_or_3():
    with pytest.raises(UserError, match="embedding_kernel"):
        tasks.get("street").generator_config("tiny", SEMANTIC["street"], embedding_kernel=5)


def test_generated_base_adds_a_learned_conv_to_every_generated_one():
    model = make("street", generated_base=True).eval()
    added = set(model.state_dict()) - set(make("street").state_dict())
    assert added and all(name.rsplit(".", 1)[1] in ("base_weight", "base_bias") for name in added)
    semantics, examples, example_semantics = inputs("street", b=2, t=2, k=2)
    with torch.no_grad():
        outs = run(model, semantics, examples, example_semantics)
    assert all(torch.isfinite(o.image).all() for o in outs)
    torch.manual_seed(0)
    head = WeightHead(8, 4, 6, hidden_layers=2, spectral=True, base=True)
    with torch.no_grad():
        head.base_bias.normal_()
    plain = WeightHead(8, 4, 6, hidden_layers=2, spectral=True)
    plain.load_state_dict({k: v for k, v in head.state_dict().items() if "base" not in k})
    q = torch.randn(3, 8, 8)
    with torch.no_grad():
        (weight, bias), (plain_weight, plain_bias) = head(q), plain(q)
    assert torch.allclose(weight, plain_weight + head.base_weight) and torch.allclose(bias, plain_bias + head.base_bias)
    assert not torch.allclose(weight[0], weight[1])  # the examples still change it


def test_generated_base_changes_nothing_when_off():
    weights = make("street", generated_base=False).appearance.weights
    assert all(h.base_weight is None for h in weights.embed_heads)


@pytest.mark.parametrize("setting", [dict(decoder_start="semantic"), dict(embedding_kernel=3),
                                     dict(generated_base=True), dict(attention_image=True)])
def test_few_shot_only_options_are_refused_for_the_baselines(setting):
    with pytest.raises(UserError, match=next(iter(setting))):
        tasks.get("street").generator_config("tiny", SEMANTIC["street"], arch="adain", **setting)


def test_attention_image_gives_h_the_attention_weighted_example_colours():
    model = make("street", attention_image=True).eval()
    added = set(model.state_dict()) - set(make("street").state_dict())
    assert added == set()  # wider first embedding conv (3 more input channels), no new tensors
    semantics, _, example_semantics = inputs("street", b=1, t=2, k=2)
    colours = torch.tensor([[0.8, -0.2, 0.1], [-0.6, 0.4, 0.9]])  # one plain colour per example
    examples = colours[None, :, :, None, None].expand(1, 2, 3, 32, 32).clone()
    appearance = model.appearance
    with torch.no_grad():
        cond = appearance.condition(appearance.encode(examples, example_semantics), semantics[:, 0])
        mixed = torch.einsum("bkhw,kc->bchw", cond.attention, colours)  # each position's mass-weighted colour
        assert torch.allclose(cond.colours, mixed, atol=1e-5)
        assert cond.colours.std() > 0  # the mass varies over positions, so does the colour
        extra = appearance.semantic_extra(cond, semantics[:, 0])
        assert extra.shape == (1, 3, 32, 32)
        one = appearance.condition(appearance.encode(examples[:, :1], example_semantics[:, :1]), semantics[:, 0])
        assert torch.allclose(one.colours, colours[0][None, :, None, None].expand_as(one.colours), atol=1e-5)
        outs = run(model, semantics, examples, example_semantics)
    assert all(torch.isfinite(o.image).all() for o in outs)


def _part_maps(b: int, x0: int, size: int = 32) -> torch.Tensor:
    """(b, 6, size, size) pose maps: one body part (index 1 of 14) at columns x0..x0+7, rows 4..19, its (u, v)
    running across it, so the same (u, v) lies 10 px further right in a map made with x0 + 10."""
    maps = torch.zeros(b, 6, size, size)
    ys, xs = torch.meshgrid(torch.arange(4, 20.0), torch.arange(float(x0), x0 + 8.0), indexing="ij")
    maps[:, 3, 4:20, x0:x0 + 8] = 1 / 14
    maps[:, 4, 4:20, x0:x0 + 8] = (xs - x0 + 1) / 10
    maps[:, 5, 4:20, x0:x0 + 8] = (ys - 3) / 20
    return maps


def test_part_example_flow_takes_each_examples_pixels_from_the_maps_part_correspondence():
    model = make("pose", compose="example", example_fill=True, example_flow="parts").eval()
    semantics = _part_maps(2, 6)[:, None].repeat(1, 2, 1, 1, 1)
    example_semantics = torch.stack([_part_maps(2, 16), _part_maps(2, 6)], 1)  # moved 10 px right, and in place
    examples = torch.rand(2, 2, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        outs = run(model, semantics, examples, example_semantics)
    for o in outs:
        chosen = example_semantics[torch.arange(2), o.example_index]
        flow, valid = part_flow(semantics[:, 0], chosen)
        assert torch.allclose(o.example_flow, flow, atol=1e-4) and torch.equal(o.example_mask, 1 - valid)
        assert o.fill_flow is not None and o.fill_mask.min() == 0  # the filler's from its own map
    moved = part_flow(semantics[:1, 0], example_semantics[:1, 0])[0][0]
    assert torch.allclose(moved[:, 4:20, 6:14], torch.tensor([10.0, 0.0]).view(2, 1, 1), atol=1e-4)
    with pytest.raises(UserError, match="example_warp"):
        tasks.get("pose").generator_config("tiny", 6, example_warp=False, example_flow="parts")
    with pytest.raises(UserError, match="learned, parts or landmarks"):
        tasks.get("pose").generator_config("tiny", 6, example_flow="dense")


def test_landmark_example_flow_is_the_given_fit_where_valid_and_the_networks_elsewhere():
    """example_flow "landmarks": each composing example's flow is the one fitted outside (from the landmarks) where
    that fit is valid, with mask 0 (its own pixels); elsewhere the flow network's flow and mask, as "learned"."""
    semantics, examples, example_semantics = inputs("face", b=2, t=1, k=2)  # one frame: the same history in both
    learned = make("face", compose="example", example_fill=True).eval()
    given = make("face", compose="example", example_fill=True, example_flow="landmarks", landmark_agreement=0).eval()
    flows = torch.full((2, 1, 2, 2, 32, 32), 3.0)
    flows[:, :, 1] = -2.0  # example 1: another flow, so a filler taken from the wrong example shows
    valid = torch.zeros(2, 1, 2, 1, 32, 32)
    valid[..., 8:24, 8:24] = 1  # a face in the middle
    with torch.no_grad():
        ref = unroll(learned, semantics, examples, example_semantics)
        outs = unroll(given, semantics, examples, example_semantics, part_flows=(flows, valid))
    inside = valid[0, 0, 0, 0] > 0
    for r, o in zip(ref, outs):
        assert torch.equal(o.example_index, r.example_index)
        chosen = 3.0 - 5.0 * o.example_index.float().view(2, 1, 1)
        assert torch.allclose(o.example_flow[:, 0][:, inside], chosen.expand(2, 32, 32)[:, inside])
        assert torch.equal(o.example_mask[:, 0][:, inside], torch.zeros(2, int(inside.sum())))
        assert torch.allclose(o.example_flow[..., ~inside], r.example_flow[..., ~inside], atol=1e-5)
        assert torch.allclose(o.example_mask[..., ~inside], r.example_mask[..., ~inside], atol=1e-5)
        filler = 3.0 - 5.0 * (1 - o.example_index.float()).view(2, 1, 1)  # K = 2: the other example
        assert torch.allclose(o.fill_flow[:, 0][:, inside], filler.expand(2, 32, 32)[:, inside])
    with pytest.raises(ValueError, match="landmarks"):
        given.step(semantics[:, 0], given.encode_examples(examples, example_semantics))


def test_the_landmark_fit_is_taken_only_where_it_agrees_with_the_networks_flow():
    """landmark_agreement: a fit far from the flow network's flow (a face that moved far) is not used; one within the
    tolerance is."""
    semantics, examples, example_semantics = inputs("face", b=1, t=1, k=1)
    learned = make("face", compose="example").eval()
    checked = make("face", compose="example", example_flow="landmarks", landmark_agreement=3.0).eval()
    with torch.no_grad():
        ref = unroll(learned, semantics, examples, example_semantics)[0]
        valid = torch.ones(1, 1, 1, 1, 32, 32)
        far = unroll(checked, semantics, examples, example_semantics,
                     part_flows=((ref.example_flow + 20.0)[:, None, None], valid))[0]
        near = unroll(checked, semantics, examples, example_semantics,
                      part_flows=((ref.example_flow + 0.5)[:, None, None], valid))[0]  # within 3 * 32 / 128 px
    assert torch.allclose(far.example_flow, ref.example_flow, atol=1e-5)
    assert torch.allclose(far.example_mask, ref.example_mask, atol=1e-5)
    assert torch.allclose(near.example_flow, ref.example_flow + 0.5, atol=1e-4)
    assert float(near.example_mask.abs().max()) == 0.0
    with pytest.raises(UserError, match="landmark_agreement is -1"):
        tasks.get("face").generator_config("tiny", 1, landmark_agreement=-1.0)
