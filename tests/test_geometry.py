import math

import pytest
import torch

from latentkit.space.geometry import lerp, slerp

T = torch.linspace(0, 1, 11)


@pytest.fixture
def orthogonal_pair():
    d = 100
    a = torch.randn(d, generator=torch.Generator().manual_seed(0))
    b = torch.randn(d, generator=torch.Generator().manual_seed(1))
    b = b - (b @ a) / (a @ a) * a  # orthogonal to a
    b = b / b.norm() * a.norm()  # same norm
    return a, b


@pytest.mark.parametrize("path", [lerp, slerp])
def test_ends_are_exact(path, orthogonal_pair):
    a, b = orthogonal_pair
    p = path(a, b, T)
    assert p.shape == (11, 100)
    assert torch.equal(p[0], a) and torch.equal(p[-1], b)


def test_slerp_keeps_the_norm_for_equal_norm_endpoints(orthogonal_pair):
    a, b = orthogonal_pair
    norms = slerp(a, b, T).norm(dim=-1)
    assert torch.allclose(norms, a.norm().expand(11), rtol=1e-5)


def test_lerp_midpoint_norm_drops_by_sqrt2_for_orthogonal_endpoints(orthogonal_pair):
    a, b = orthogonal_pair
    mid = lerp(a, b, torch.tensor([0.5]))[0]
    assert mid.norm() / a.norm() == pytest.approx(1 / math.sqrt(2), rel=1e-5)


def test_slerp_moves_at_constant_angular_speed(orthogonal_pair):
    a, b = orthogonal_pair
    p = slerp(a, b, T)
    angles = torch.arccos((p[:-1] * p[1:]).sum(-1) / (p[:-1].norm(dim=-1) * p[1:].norm(dim=-1)))
    assert torch.allclose(angles, torch.full((10,), math.pi / 20), atol=1e-4)


def test_parallel_endpoints_fall_back_to_lerp():
    a = torch.randn(8, generator=torch.Generator().manual_seed(0))
    p = slerp(a, 2 * a, T)
    assert torch.isfinite(p).all() and torch.allclose(p, lerp(a, 2 * a, T), atol=1e-5)
    assert torch.allclose(slerp(a, a, T), a.expand(11, 8))


def test_antiparallel_endpoints_turn_through_pi_at_constant_norm():
    a = torch.randn(8, generator=torch.Generator().manual_seed(0))
    p = slerp(a, -a, T)
    assert torch.isfinite(p).all()
    assert torch.allclose(p.norm(dim=-1), a.norm().expand(11), rtol=1e-5)
    assert abs(p[5] @ a) < 1e-4 * a.norm() ** 2  # orthogonal half way
    assert torch.allclose(p[-1], -a)


def test_batched_rows_are_independent(orthogonal_pair):
    a, b = orthogonal_pair
    batch_a, batch_b = torch.stack([a, a]), torch.stack([b, -a])  # one ordinary row, one antiparallel
    p = slerp(batch_a, batch_b, T)
    assert p.shape == (2, 11, 100)
    assert torch.allclose(p[0], slerp(a, b, T)) and torch.allclose(p[1], slerp(a, -a, T))


def test_per_row_positions_match_row_by_row_calls():
    g = torch.Generator().manual_seed(3)
    a, b = torch.randn(4, 6, generator=g), torch.randn(4, 6, generator=g)
    t = torch.rand(4, 3, generator=g)
    for f in (lerp, slerp):
        batched = f(a, b, t)
        assert batched.shape == (4, 3, 6)
        for i in range(4):
            assert torch.allclose(batched[i], f(a[i], b[i], t[i]), atol=1e-6)
