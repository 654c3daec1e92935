r"""Run metrics: time to survive and to recover, cumulative unmet demand, percentile tables.

**Time to survive** (TTS, Simchi-Levi; ``methods.md`` §3) of a use (element × sector), in
quarters from the start of the first shock :math:`s_0`: with :math:`t^*` the first quarter at or
after :math:`s_0` with unmet demand,

.. math:: TTS = t^* + \left(1 - \frac{U_{t^*}}{U^{pre}_{t^*}}\right) - s_0

where :math:`U^{pre}` is the deficit before stocks (commercial inventory, NDS) and :math:`U` the
deficit left after them: stocks cover that share of the quarter when flows are spread evenly, so
an inventory :math:`s` against a deficit rate :math:`d - c` gives :math:`s / (d - c)`, the value
of the TTS linear program (:mod:`reeplan.sim.lp`). ``inf`` when no shortfall occurs.

**Time to recover** (TTR): from :math:`s_0` to the end of the last quarter with *material*
unmet demand, :math:`U_t > m\,D_t` with the materiality threshold :math:`m`
(:data:`TTR_MATERIALITY`, 1 % of the use's demand by default, asm_sim_ttr_materiality): a
residual of a few tenths of a percent that stays unmet until the shock ends does not keep a use
"unrecovered". 0 when no quarter is materially short; ``inf`` when the last quarter is. A use is
exposed when TTS < TTR.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "PERCENTILES",
    "TTR_MATERIALITY",
    "calc_percentiles",
    "calc_ttr",
    "calc_tts",
]

PERCENTILES = (5, 50, 95)
"""Percentiles reported (P5, P50, P95)."""

TTR_MATERIALITY = 0.01
"""Default materiality threshold of TTR: unmet demand below 1 % of demand counts as recovered
(asm_sim_ttr_materiality)."""

_TOL = 1e-9


def _origin(s0: float | np.ndarray) -> np.ndarray:
    """The origin as ``[S|1, 1]`` (a number, or one per sample)."""
    return np.atleast_1d(np.asarray(s0, float))[:, None]


def _first_last(short: np.ndarray, s0: float | np.ndarray, floor: np.ndarray | float = _TOL
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    T = short.shape[1]
    t = np.arange(T)
    hit = (short > floor) & (t[None, :] >= np.floor(_origin(s0)))[:, :, None]
    anyhit = hit.any(1)
    first = hit.argmax(1)
    last = T - 1 - hit[:, ::-1].argmax(1)
    return anyhit, first, last


def calc_tts(short: np.ndarray, pre: np.ndarray, s0: float | np.ndarray) -> np.ndarray:
    """Time to survive in quarters, ``[S, U]`` from ``short``/``pre`` ``[S, T, U]``.

    Examples
    --------
    Inventory 2 against a deficit of 0.875 per quarter lasts 2/0.875 = 2.286 quarters:

    >>> pre = np.full((1, 6, 1), 0.875)
    >>> short = np.array([0, 0, 0.625, 0.875, 0.875, 0.875]).reshape(1, 6, 1)
    >>> round(float(calc_tts(short, pre, 0.0)[0, 0]), 4)
    2.2857
    """
    anyhit, first, _ = _first_last(short, s0)
    s_at = np.take_along_axis(short, first[:, None, :], 1)[:, 0]
    p_at = np.take_along_axis(pre, first[:, None, :], 1)[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(p_at > _TOL, 1.0 - s_at / np.where(p_at > _TOL, p_at, 1.0), 0.0)
    tts = np.maximum(first + np.clip(frac, 0.0, 1.0) - _origin(s0), 0.0)
    return np.where(anyhit, tts, np.inf)


def calc_ttr(short: np.ndarray, s0: float | np.ndarray, demand: np.ndarray | None = None,
             materiality: float = TTR_MATERIALITY) -> np.ndarray:
    """Time to recover in quarters, ``[S, U]`` (``inf`` if still materially short in the last
    quarter).

    Parameters
    ----------
    short, demand
        Unmet demand and demand ``[S, T, U]`` (t per quarter); without ``demand`` any unmet
        quantity counts.
    s0
        Quarter index of the first shock (the origin), a number or ``[S]``.
    materiality
        Unmet demand at or below this share of demand counts as recovered.

    Examples
    --------
    >>> short = np.array([0, 1.0, 1.0, 0.003, 0.003]).reshape(1, 5, 1)
    >>> calc_ttr(short, 0.5, np.ones((1, 5, 1))).tolist()
    [[2.5]]
    >>> calc_ttr(short, 0.5, np.ones((1, 5, 1)), materiality=0.0).tolist()
    [[inf]]
    """
    T = short.shape[1]
    floor = _TOL if demand is None else np.maximum(materiality * demand, _TOL)
    anyhit, _, last = _first_last(short, s0, floor)
    ttr = np.where(last >= T - 1, np.inf, last + 1.0 - _origin(s0))
    return np.where(anyhit, np.maximum(ttr, 0.0), 0.0)


def calc_percentiles(x: np.ndarray, axis: int = 0, q: tuple[int, ...] = PERCENTILES
                     ) -> np.ndarray:
    """Percentiles over ``axis`` (linear interpolation), ``inf`` kept where reached.

    Infinite values (no shortfall within the horizon, or no recovery) rank above every finite
    value; a percentile falling among them is ``inf``.

    Examples
    --------
    >>> calc_percentiles(np.array([1.0, 2.0, np.inf, np.inf])).tolist()
    [1.15, inf, inf]
    """
    finite = np.isfinite(x)
    big = np.nanmax(np.abs(np.where(finite, x, 0.0))) * 10 + 1e6 if x.size else 1e6
    filled = np.where(finite, x, big)
    p = np.percentile(filled, q, axis=axis)
    upper = np.percentile(filled, q, axis=axis, method="higher")
    # interpolating between a finite value and inf is inf (not a multiple of the filler)
    return np.where(upper >= big * 0.5, np.inf, p)


