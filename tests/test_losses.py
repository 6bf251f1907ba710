"""Every loss is zero (or minimal) where it should be and passes gradients."""

import pytest
import torch

from vid2vid.losses import flow as flow_losses
from vid2vid.losses.gan import d_loss, feature_matching, g_loss
from vid2vid.models.discriminator import (FaceDiscriminator, ImageDiscriminator, TemporalDiscriminator, crop_boxes,
                                          face_boxes)


def feats(value: float, requires_grad: bool = False):
    t = torch.full((2, 1, 4, 4), value, requires_grad=requires_grad)
    return [[torch.ones(2, 3, 4, 4) * value, t]], t


@pytest.mark.parametrize("kind", ["hinge", "lsgan"])
def test_gan_losses_minimal_for_perfect_discriminator_and_generator(kind):
    real, _ = feats(1.0)
    fake, _ = feats(-1.0 if kind == "hinge" else 0.0)
    assert d_loss(real, fake, kind).item() == pytest.approx(0.0)
    fooled, t = feats(1.0, requires_grad=True)
    g = g_loss(fooled, kind)
    assert g.item() == pytest.approx(-1.0 if kind == "hinge" else 0.0)
    worse, t = feats(-0.5, requires_grad=True)
    g_worse = g_loss(worse, kind)
    assert g_worse > g
    g_worse.backward()
    assert t.grad is not None and t.grad.abs().sum() > 0


def test_feature_matching_zero_on_equal_features_and_grad():
    real = [[torch.randn(1, 4, 8, 8), torch.randn(1, 1, 8, 8)]]
    fake_feat = real[0][0].clone().requires_grad_(True)
    assert feature_matching(real, [[fake_feat, real[0][1]]]).item() == 0.0
    moved = fake_feat + 1
    loss = feature_matching(real, [[moved, real[0][1]]])
    loss.backward()
    assert loss.item() == pytest.approx(1.0) and fake_feat.grad.abs().sum() > 0


def test_perceptual_loss_zero_on_identical_and_grad():
    from vid2vid.losses.perceptual import PerceptualLoss

    loss_fn = PerceptualLoss()
    real = torch.rand(1, 3, 32, 32) * 2 - 1
    assert loss_fn(real.clone(), real).item() == pytest.approx(0.0, abs=1e-6)
    fake = (real + 0.3 * torch.randn_like(real)).clamp(-1, 1).requires_grad_(True)
    loss = loss_fn(fake, real)
    loss.backward()
    assert loss.item() > 0 and fake.grad.abs().sum() > 0
    # bigger differences cost more
    assert loss_fn(-real, real) > loss


def test_vgg_weights_are_the_real_ones():
    from vid2vid.losses.perceptual import VGG19Features

    vgg = VGG19Features()
    w = vgg.net[0].weight
    assert w.shape == (64, 3, 3, 3) and 0.05 < w.abs().mean() < 1.0 and len(torch.unique(w)) > 50
    out = vgg(torch.zeros(1, 3, 32, 32))
    assert [f.shape[1] for f in out] == [64, 128, 256, 512, 512]


def test_flow_warp_mask_losses():
    torch.manual_seed(0)
    prev = torch.rand(1, 3, 16, 16) * 2 - 1
    real = torch.roll(prev, shifts=1, dims=3)  # content moved right by 1 px: flow into prev is -1 in x
    teacher = torch.zeros(1, 2, 16, 16)
    teacher[:, 0] = -1.0
    conf = flow_losses.teacher_confidence(prev, real, teacher)
    assert conf[..., 1:].mean() == 1.0  # all but the wrapped-around border column
    flow = teacher.clone().requires_grad_(True)
    assert flow_losses.flow_l1(flow, teacher, conf).item() == 0.0
    assert flow_losses.warp_l1(prev, real, flow, conf).item() == pytest.approx(0.0, abs=1e-6)
    bad = torch.zeros_like(teacher, requires_grad=True)
    loss = flow_losses.flow_l1(bad, teacher, conf) + flow_losses.warp_l1(prev, real, bad, conf)
    loss.backward()
    assert loss.item() > 0 and bad.grad.abs().sum() > 0
    mask = (1 - conf).clone().requires_grad_(True)
    assert flow_losses.mask_l1(mask, conf).item() == 0.0
    flow_losses.mask_l1(torch.full_like(conf, 0.5, requires_grad=True), conf).backward()


def test_discriminators_shapes_and_grad():
    img = torch.randn(2, 3, 64, 64, requires_grad=True)
    sem = torch.rand(2, 6, 64, 64)
    d = ImageDiscriminator(6, use_example=True, ndf=8, n_layers=3, num_scales=2)
    out = d(img, sem, img.detach())
    assert len(out) == 2 and out[0][-1].shape[1] == 1
    g_loss(out).backward()
    assert img.grad.abs().sum() > 0
    td = TemporalDiscriminator(frames=3, temporal_scales=2, ndf=8, n_layers=3)
    assert td.windows(4) == [(0, [1, 2, 3])]
    assert td.windows(5) == [(0, [2, 3, 4]), (1, [0, 2, 4])]
    out = td(torch.randn(2, 3, 3, 64, 64), torch.randn(2, 2, 2, 64, 64), scale=1)
    assert out[0][-1].shape[:2] == (2, 1)
    kp = torch.zeros(2, 18, 3)
    kp[:, 0] = torch.tensor([32.0, 20.0, 1.0])
    kp[:, 1] = torch.tensor([32.0, 30.0, 1.0])
    boxes = face_boxes(kp, 64, 64)
    assert torch.allclose(boxes[0], torch.tensor([32.0, 20.0, 12.0]))
    crops = crop_boxes(img, boxes, 16)
    assert crops.shape == (2, 3, 16, 16)
    fd = FaceDiscriminator(6, crop=16, ndf=8)
    assert fd(img, sem, boxes)[0][-1].shape[0] == 2


def test_example_losses_zero_for_the_exact_correspondence_and_positive_for_a_wrong_one():
    torch.manual_seed(0)
    example = torch.rand(1, 3, 16, 16) * 2 - 1
    real = torch.roll(example, shifts=(2, -3), dims=(2, 3))  # the example's content, moved
    teacher = torch.zeros(1, 2, 16, 16)
    teacher[:, 0], teacher[:, 1] = 3.0, -2.0  # target pixel p shows example pixel p + (3, -2)
    valid = torch.zeros(1, 1, 16, 16)
    valid[..., 2:, :13] = 1.0  # where p + flow stays inside the example
    exact = teacher.clone().requires_grad_(True)
    assert flow_losses.flow_l1(exact, teacher, valid).item() == 0.0
    assert flow_losses.warp_l1(example, real, exact, valid).item() == pytest.approx(0.0, abs=1e-6)
    wrong = torch.zeros_like(teacher, requires_grad=True)
    loss = flow_losses.flow_l1(wrong, teacher, valid) + flow_losses.warp_l1(example, real, wrong, valid)
    loss.backward()
    assert loss.item() > 0.5 and wrong.grad.abs().sum() > 0
    assert flow_losses.flow_l1(wrong, teacher, valid).item() == pytest.approx(5.0 / 2 * valid.mean().item())
    assert flow_losses.mask_l1(1 - valid, valid).item() == 0.0  # hallucinate exactly where the example cannot help
    assert flow_losses.mask_l1(torch.zeros_like(valid), valid).item() > 0


def test_generated_confidence_copies_only_where_the_last_output_was_right():
    real = torch.rand(1, 3, 8, 8) * 2 - 1
    warped = real.clone()
    warped[..., :4] += 0.5  # the left half of the warped previous output is wrong
    conf = flow_losses.generated_confidence(warped.requires_grad_(True), real)
    assert not conf.requires_grad
    assert conf[..., 4:].min() == 1.0 and conf[..., :4].max() == 0.0
    assert flow_losses.mask_l1(1 - conf, conf).item() == 0.0


def test_feature_matching_sums_layers_and_averages_scales():
    real = [[torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 4, 4), torch.zeros(1, 1, 4, 4)]] * 2
    fake = [[torch.ones(1, 2, 4, 4), torch.ones(1, 2, 4, 4), torch.zeros(1, 1, 4, 4)]] * 2
    assert feature_matching(real, fake).item() == pytest.approx(2.0)  # 2 layers of 1.0, 2 scales averaged


def test_objective_supervises_the_example_flow_mask_and_raw_output():
    from vid2vid.models.outputs import FrameOutput
    from vid2vid.training.objective import Discriminators, FrameContext, LossWeights, Objective, weight_name

    from vid2vid.models.discriminator import DiscriminatorConfig

    w = LossWeights(face=0.0)
    objective = Objective(w, Discriminators(DiscriminatorConfig(ndf=4, layers=2, scales=1), w, 6, use_example=True,
                                            face=False))
    real, example = torch.rand(1, 3, 32, 32) * 2 - 1, torch.rand(1, 3, 32, 32) * 2 - 1
    flow = torch.zeros(1, 2, 32, 32, requires_grad=True)
    mask = torch.full((1, 1, 32, 32), 0.5, requires_grad=True)
    out = FrameOutput(image=real.clone().requires_grad_(True), hallucinated=real.clone(), flow=None, mask=None,
                      warped=None, example_flow=flow, example_mask=mask, example_warped=example)
    ctx = FrameContext(semantic=torch.rand(1, 6, 32, 32), real=real, prev_real=None, teacher_flow=None,
                       example=example, keypoints=None, example_flow=torch.ones(1, 2, 32, 32),
                       example_valid=torch.ones(1, 1, 32, 32))
    terms = objective.g_terms(out, ctx)
    assert {"G/flow.example", "G/warp.example", "G/mask.example", "G/raw"} <= set(terms)
    assert terms["G/flow.example"].item() == pytest.approx(1.0) and terms["G/mask.example"].item() == 0.5
    assert terms["G/raw"].item() == pytest.approx(0.0, abs=1e-6)  # raw output == real here
    assert weight_name("G/flow.example") == "flow" and weight_name("D/gan") == "gan"
    spade = FrameOutput(image=out.image, hallucinated=out.image, flow=None, mask=None, warped=None)
    assert "G/raw" not in objective.g_terms(spade, ctx)  # the frame is the decoder output: no separate raw loss


def test_objective_supervises_the_filling_example_like_the_chosen_one():
    from vid2vid.models.discriminator import DiscriminatorConfig
    from vid2vid.models.outputs import FrameOutput
    from vid2vid.models.warp import warp
    from vid2vid.training.objective import Discriminators, FrameContext, LossWeights, Objective

    w = LossWeights(face=0.0, perceptual=0.0)
    objective = Objective(w, Discriminators(DiscriminatorConfig(ndf=4, layers=2, scales=1), w, 6, use_example=True,
                                            face=False))
    g = torch.Generator().manual_seed(0)
    filler = torch.rand(1, 3, 32, 32, generator=g) * 2 - 1
    teacher = torch.full((1, 2, 32, 32), 2.0)
    real = warp(filler, teacher)  # the filler, moved by the teacher flow, is the frame where it is valid
    valid = torch.zeros(1, 1, 32, 32)
    valid[..., 4:28, 4:28] = 1

    def terms(flow, mask):
        out = FrameOutput(image=real.clone(), hallucinated=real.clone(), flow=None, mask=None, warped=None,
                          fill_flow=flow, fill_mask=mask, fill_warped=warp(filler, flow))
        ctx = FrameContext(semantic=torch.rand(1, 6, 32, 32), real=real, prev_real=None, teacher_flow=None,
                           example=filler, keypoints=None, fill_flow=teacher, fill_valid=valid, fill_example=filler)
        return objective.g_terms(out, ctx)

    exact = terms(teacher.clone(), 1 - valid)
    assert {"G/flow.fill", "G/warp.fill", "G/mask.fill"} <= set(exact)
    assert all(exact[k].item() == pytest.approx(0.0, abs=1e-6) for k in ("G/flow.fill", "G/warp.fill", "G/mask.fill"))
    wrong = terms(torch.zeros(1, 2, 32, 32), valid)  # no motion, and the mask copies exactly where it must not
    assert wrong["G/flow.fill"].item() > 1.0 and wrong["G/warp.fill"].item() > 0.05 and wrong["G/mask.fill"].item() == 1


@pytest.mark.parametrize("name", ["example", "fill"])
def test_warped_example_mask_target_hallucinates_where_the_learned_warp_is_wrong(name):
    from vid2vid.models.discriminator import DiscriminatorConfig
    from vid2vid.models.outputs import FrameOutput
    from vid2vid.models.warp import warp
    from vid2vid.training.objective import Discriminators, FrameContext, LossWeights, Objective

    w = LossWeights(face=0.0, perceptual=0.0, example_mask="warped")
    objective = Objective(w, Discriminators(DiscriminatorConfig(ndf=4, layers=2, scales=1), w, 6, use_example=True,
                                            face=False))
    g = torch.Generator().manual_seed(1)
    source = torch.rand(1, 3, 32, 32, generator=g) * 2 - 1
    teacher = torch.full((1, 2, 32, 32), 3.0)
    real = warp(source, teacher)
    valid = torch.ones(1, 1, 32, 32)
    valid[..., :, 28:] = 0  # no correspondence on the right edge

    def mask_term(flow, mask):
        warped = warp(source, flow)
        out = FrameOutput(image=real.clone(), hallucinated=real.clone(), flow=None, mask=None, warped=None,
                          **{f"{name}_flow": flow, f"{name}_mask": mask, f"{name}_warped": warped})
        ctx = FrameContext(semantic=torch.rand(1, 6, 32, 32), real=real, prev_real=None, teacher_flow=None,
                           example=source, keypoints=None,
                           **{f"{name}_flow": teacher, f"{name}_valid": valid},
                           **({"fill_example": source} if name == "fill" else {}))
        return objective.g_terms(out, ctx)[f"G/mask.{name}"].item()

    # the exact flow warps right wherever the correspondence is valid: the target is 1 - validity, met exactly
    assert mask_term(teacher.clone(), 1 - valid) == pytest.approx(0.0, abs=1e-5)
    # a learned flow off by 3 px warps the texture wrong: copying there is wrong, hallucinating is (nearly) right
    off = torch.zeros(1, 2, 32, 32)
    assert mask_term(off, 1 - valid) > 0.5
    wrong = (warp(source, off) - real).abs().sum(1, keepdim=True)
    assert mask_term(off, torch.where(valid.bool(), 1 - (1 - wrong).clamp(0, 1), torch.ones(()))) == pytest.approx(
        0.0, abs=1e-5)
    with pytest.raises(Exception, match="example_mask must be 'valid' or 'warped'"):
        LossWeights(example_mask="learned")


def test_previous_frame_is_copied_only_where_it_beats_the_alternative():
    real = torch.zeros(1, 3, 4, 4)
    warped = torch.zeros(1, 3, 4, 4)
    warped[..., :2] = 0.3  # left half of the warped previous output is off by 0.3 per channel
    alternative = torch.full((1, 3, 4, 4), 0.1)  # the blend the mask would choose instead: off by 0.1 everywhere
    copy = flow_losses.better_source(warped, alternative, real)
    assert copy[..., :2].max() == 0.0 and copy[..., 2:].min() == 1.0
    conf = flow_losses.generated_confidence(warped, real)
    assert conf[..., :2].min() > 0  # the plain confidence alone would still say "copy 10 %" on the worse half


def test_layout_loss_zero_when_the_flow_lands_the_examples_parts_on_the_frames():
    from vid2vid.models.warp import warp

    semantic = torch.zeros(1, 4, 32, 32)
    semantic[:, 1, 10:20, 8:12] = 1.0  # a "forearm" part channel of the frame
    semantic[:, 3, 12:16, 14:24] = 0.5
    example_semantic = torch.roll(semantic, shifts=(3, -5), dims=(2, 3))  # the example's limbs stand elsewhere
    exact = torch.zeros(1, 2, 32, 32)
    exact[:, 0], exact[:, 1] = -5.0, 3.0  # frame pixel p shows example pixel p + (dx, dy)
    assert torch.allclose(warp(example_semantic, exact), semantic, atol=1e-5)
    assert flow_losses.layout_l1(example_semantic, semantic, exact).item() == pytest.approx(0.0, abs=1e-6)
    half = (exact * 0.5).requires_grad_(True)  # half-way: each part lands beside the frame's
    loss = flow_losses.layout_l1(example_semantic, semantic, half)
    loss.backward()
    assert loss.item() > 0.01 and half.grad.abs().sum() > 0
    assert flow_losses.layout_l1(example_semantic, semantic, torch.zeros_like(exact)).item() > 0.01


def test_objective_and_flow_stage_weigh_the_layout_terms_only_when_asked():
    from vid2vid.models.discriminator import DiscriminatorConfig
    from vid2vid.models.outputs import FrameOutput
    from vid2vid.training.objective import Discriminators, FrameContext, LossWeights, Objective

    semantic = torch.zeros(1, 6, 32, 32)
    semantic[:, 2, 8:24, 12:18] = 1.0
    real, example = torch.rand(1, 3, 32, 32) * 2 - 1, torch.rand(1, 3, 32, 32) * 2 - 1
    zero = torch.zeros(1, 2, 32, 32)
    out = FrameOutput(image=real, hallucinated=real, flow=None, mask=None, warped=None, example_flow=zero,
                      example_mask=torch.zeros(1, 1, 32, 32), fill_flow=zero, fill_mask=torch.zeros(1, 1, 32, 32))
    moved = torch.roll(semantic, shifts=4, dims=3)
    ctx = FrameContext(semantic=semantic, real=real, prev_real=None, teacher_flow=None, example=example,
                       keypoints=None, example_flow=zero, example_valid=torch.ones(1, 1, 32, 32), fill_flow=zero,
                       fill_valid=torch.ones(1, 1, 32, 32), fill_example=example, example_semantic=semantic,
                       fill_semantic=moved)
    for layout, expected in ((0.0, set()), (10.0, {"G/layout.example", "G/layout.fill"})):
        w = LossWeights(face=0.0, perceptual=0.0, layout=layout)
        objective = Objective(w, Discriminators(DiscriminatorConfig(ndf=4, layers=2, scales=1), w, 6,
                                                use_example=True, face=False))
        terms = objective.g_terms(out, ctx)
        assert {k for k in terms if k.startswith("G/layout")} == expected
    assert terms["G/layout.example"].item() == 0.0  # the chosen example's parts already stand where the frame's do
    assert terms["G/layout.fill"].item() > 0.01  # the filler's stand 4 px aside and zero flow leaves them there


def test_face_detail_terms_zero_for_the_real_face_and_positive_for_a_blurred_one():
    from vid2vid.models.discriminator import DiscriminatorConfig
    from vid2vid.models.outputs import FrameOutput
    from vid2vid.training.objective import Discriminators, FrameContext, LossWeights, Objective

    w = LossWeights(face_detail=10.0)
    objective = Objective(w, Discriminators(DiscriminatorConfig(ndf=4, layers=2, scales=1), w, 6, use_example=False,
                                            face=True))
    g = torch.Generator().manual_seed(0)
    real = torch.rand(1, 3, 64, 64, generator=g) * 2 - 1
    kp = torch.zeros(1, 18, 3)
    kp[:, 0] = torch.tensor([32.0, 20.0, 1.0])  # nose
    kp[:, 1] = torch.tensor([32.0, 30.0, 1.0])  # neck

    def terms(image):
        out = FrameOutput(image=image, hallucinated=image, flow=None, mask=None, warped=None)
        ctx = FrameContext(semantic=torch.rand(1, 6, 64, 64, generator=g), real=real, prev_real=None,
                           teacher_flow=None, example=None, keypoints=kp)
        return objective.g_terms(out, ctx)

    exact = terms(real.clone())
    assert {"G/face", "G/face_detail.feature_matching", "G/face_detail.perceptual"} <= set(exact)
    assert exact["G/face_detail.perceptual"].item() == pytest.approx(0.0, abs=1e-3)
    assert exact["G/face_detail.feature_matching"].item() == pytest.approx(0.0, abs=1e-3)
    blurred = real.clone()
    blurred[..., 8:32, 20:44] = blurred[..., 8:32, 20:44].mean(dim=(-2, -1), keepdim=True)  # the face box, smeared
    blurred.requires_grad_(True)
    wrong = terms(blurred)
    assert wrong["G/face_detail.perceptual"].item() > 0.1 and wrong["G/face_detail.feature_matching"].item() > 0
    wrong["G/face_detail.perceptual"].backward()
    assert blurred.grad[..., 8:32, 20:44].abs().sum() > 0 and blurred.grad[..., 48:, :].abs().sum() == 0
    plain = LossWeights()
    objective = Objective(plain, Discriminators(DiscriminatorConfig(ndf=4, layers=2, scales=1), plain, 6,
                                                use_example=False, face=True))
    assert "G/face" in terms(real.clone()) and "G/face_detail.perceptual" not in terms(real.clone())  # off by default
    with pytest.raises(Exception, match="face_detail needs the face-region discriminator"):
        LossWeights(face=0.0, face_detail=1.0)
