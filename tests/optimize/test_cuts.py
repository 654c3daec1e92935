"""The binary-tightened Benders cuts: exact at binary points, never above the recourse at any
binary point (brute force over every selection), and stronger than the tangent cuts."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from reeplan.optimize.benders import solve_benders
from reeplan.optimize.cuts import calc_year_cuts
from reeplan.optimize.inputs import PortfolioSpec, random_instance
from reeplan.optimize.recourse import calc_year_recourse, recourse_arrays
from reeplan.optimize.solve import optimize


def _all_selections(n_p: int, n_k: int) -> np.ndarray:
    xs = []
    for choice in itertools.product(range(-1, n_k), repeat=n_p):
        x = np.zeros((n_p, n_k))
        for p, k in enumerate(choice):
            if k >= 0:
                x[p, k] = 1.0
        xs.append(x)
    return np.array(xs)


@pytest.mark.parametrize("share", [1.0, 0.6])
def test_tightened_cuts_are_exact_at_binary_points_and_valid_at_every_one(share: float
                                                                          ) -> None:
    """Online shares of 1 (the 0/1 shortcut) and of 0.6 (the general path)."""
    inst = random_instance(5, 2, n_samples=40, n_years=5, seed=21, groups=("NdPr", "DyTb"),
                           stockpile=True)
    spec = PortfolioSpec(defense_weight=12.0, civil_weight=2.0)
    a = recourse_arrays(inst)
    a = replace(a, online=a.online * share)
    rng = np.random.default_rng(3)
    blocks = np.zeros((2, 40))
    blocks[np.arange(40) % 2, np.arange(40)] = a.w * 2
    xs = _all_selections(5, 2)
    zs = rng.uniform(0, 300, (len(xs), 2))
    truth = np.array([calc_year_recourse(a, spec, x, z, blocks)[1]
                      for x, z in zip(xs, zs, strict=True)])
    stronger = 0
    for i in range(40):
        binary = i % 2 == 0
        x0 = xs[rng.integers(len(xs))] if binary else rng.random((5, 2)) / 2
        z0 = rng.uniform(0, 300, 2)
        loss, v0, gx, gz = calc_year_cuts(a, spec, x0, z0, blocks)
        ref_loss, r0, rgx, rgz = calc_year_recourse(a, spec, x0, z0, blocks)
        np.testing.assert_allclose(loss, ref_loss, rtol=1e-12)
        if binary:  # exact where the master's integer candidates are cut
            np.testing.assert_allclose(v0, r0, rtol=1e-9, atol=1e-9)
        cut = v0[None] + np.einsum("bgjpk,npk->nbgj", gx, xs - x0) + \
            gz[None] * (zs - z0)[:, None, :, None]
        assert (cut <= truth + 1e-9 * (1 + np.abs(truth))).all()
        tangent = r0[None] + np.einsum("bgjpk,npk->nbgj", rgx, xs - x0) + \
            rgz[None] * (zs - z0)[:, None, :, None]
        stronger += int((cut > tangent + 1e-6).any())
    assert stronger > 0  # the capping changes some cuts on this instance


def test_benders_with_tightened_cuts_matches_the_extensive_milp() -> None:
    inst = random_instance(8, 3, n_samples=40, n_years=6, seed=22, groups=("NdPr", "DyTb"),
                           stockpile=True)
    spec = PortfolioSpec(budget=1.2e9, fund_cap=None, mip_gap=1e-6, cost_tiebreak=0.0)
    b = solve_benders(inst, spec)
    ext = optimize(inst, spec, method="extensive")
    best = ext.objective + spec.cost_weight * ext.cost
    assert b.status == "optimal"
    assert b.lower <= best + 1e-6 * abs(best)
    np.testing.assert_allclose(b.upper, best, rtol=1e-5)
