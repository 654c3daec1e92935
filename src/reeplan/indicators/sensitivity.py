"""Global sensitivity analysis (Morris elementary effects or Sobol indices, with SALib).

:func:`calc_sensitivity` is pure: it takes a model callable and the parameter ranges, so it
can be checked on a toy model; the workflows layer passes the headline consequence model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

__all__ = ["Model", "calc_sensitivity", "parameter_bounds"]

Model = Callable[[Mapping[str, float]], float]
"""Parameter values by name -> a scalar output."""


def parameter_bounds(parameters: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """``(low, high)`` by id for the rows of a ``parameters`` table with a proper range."""
    out: dict[str, tuple[float, float]] = {}
    for pid, row in parameters.iterrows():
        low, high = row.get("low"), row.get("high")
        lo = float(row["value"]) if pd.isna(low) else float(low)
        hi = float(row["value"]) if pd.isna(high) else float(high)
        if hi > lo:
            out[str(pid)] = (lo, hi)
    return out


def calc_sensitivity(model: Model, bounds: Mapping[str, tuple[float, float]],
                     method: str = "morris", n: int = 8, seed: int = 0,
                     levels: int = 4, tornado: int | None = None) -> pd.DataFrame:
    """Rank parameters by their global effect on ``model``.

    Parameters
    ----------
    model
        Called with one value per parameter name; returns a float.
    bounds
        Parameter name -> (low, high).
    method
        ``morris`` (``n`` trajectories, ``n · (k + 1)`` model runs) or ``sobol``
        (Saltelli sampling, ``n · (2k + 2)`` runs; ``n`` a power of 2).
    seed
        Seed of the sample.
    tornado
        Evaluate the low/high bars for the ``tornado`` most influential parameters only
        (``None``: all); the others get NaN.

    Returns
    -------
    DataFrame
        One row per parameter, most influential first: ``importance`` (Morris μ*, or Sobol
        total index ST), ``spread`` (Morris σ, or first-order S1), ``low``/``high`` and the
        model at ``low``/``high`` with the other parameters at their midpoints (tornado bars),
        ``rank``.
    """
    names = list(bounds)
    if not names:
        raise ValueError("no parameter has a range")
    problem = {"num_vars": len(names), "names": names,
               "bounds": [list(bounds[k]) for k in names]}

    def run(x: np.ndarray) -> np.ndarray:
        return np.array([float(model(dict(zip(names, row, strict=True)))) for row in x])

    if method == "morris":
        from SALib.analyze import morris as morris_a
        from SALib.sample import morris as morris_s

        x = morris_s.sample(problem, n, num_levels=levels, seed=seed)
        res = morris_a.analyze(problem, x, run(x), num_levels=levels, seed=seed)
        importance, spread = np.asarray(res["mu_star"]), np.asarray(res["sigma"])
    elif method == "sobol":
        from SALib.analyze import sobol as sobol_a
        from SALib.sample import sobol as sobol_s

        x = sobol_s.sample(problem, n, calc_second_order=True, seed=seed)
        res = sobol_a.analyze(problem, run(x), calc_second_order=True, seed=seed)
        importance, spread = np.asarray(res["ST"]), np.asarray(res["S1"])
    else:
        raise ValueError(f"unknown method {method!r} (morris or sobol)")
    mid = {k: 0.5 * (lo + hi) for k, (lo, hi) in bounds.items()}
    order = np.argsort(-importance, kind="stable")
    bars = {names[i] for i in order[: len(names) if tornado is None else tornado]}
    at_low, at_high = [], []
    for k in names:
        at_low.append(float(model({**mid, k: bounds[k][0]})) if k in bars else np.nan)
        at_high.append(float(model({**mid, k: bounds[k][1]})) if k in bars else np.nan)
    out = pd.DataFrame({
        "parameter": names, "importance": importance, "spread": spread,
        "low": [bounds[k][0] for k in names], "high": [bounds[k][1] for k in names],
        "output_at_low": at_low, "output_at_high": at_high,
    }).sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    out.attrs["method"] = method
    out.attrs["output_at_mid"] = float(model(mid))
    return out
