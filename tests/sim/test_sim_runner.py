"""Monte Carlo runner: reproducible from a seed, independent of chunking, identical on Dask."""

from __future__ import annotations

import numpy as np
import pytest

from reeplan.sim import compile_scenario, load_scenario, run_simulation

VARS = ("shortfall", "shortfall_no_nds", "price_ex", "price_cn", "tts", "ttr", "unmet")


def _equal(a, b) -> None:
    for v in VARS:
        np.testing.assert_array_equal(a.data[v].values, b.data[v].values, err_msg=v)


@pytest.fixture(scope="module")
def compiled(bundled_net):
    net = bundled_net[2]
    return net, compile_scenario(load_scenario("october-2025-suspended"), net)


def test_same_seed_same_result_and_chunking_does_not_matter(compiled) -> None:
    net, comp = compiled
    a = run_simulation(net, comp, 600, seed=42, chunk_size=250)
    b = run_simulation(net, comp, 600, seed=42, chunk_size=500)
    _equal(a, b)
    c = run_simulation(net, comp, 600, seed=43, chunk_size=250)
    assert not np.array_equal(a.data["unmet"].values, c.data["unmet"].values)
    first = run_simulation(net, comp, 250, seed=42)
    np.testing.assert_array_equal(first.data["unmet"].values, a.data["unmet"].values[:250])


def test_progress_callback_reaches_the_total(compiled) -> None:
    net, comp = compiled
    seen: list[tuple[int, int]] = []
    run_simulation(net, comp, 600, seed=1, chunk_size=250,
                   progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (600, 600)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_dask_local_cluster_equals_local(compiled) -> None:
    distributed = pytest.importorskip("distributed")
    net, comp = compiled
    local = run_simulation(net, comp, 500, seed=7, chunk_size=250)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = run_simulation(net, comp, 500, seed=7, chunk_size=250, scheduler=client)
        by_address = run_simulation(net, comp, 500, seed=7, chunk_size=250,
                                    scheduler=cluster.scheduler_address)
    _equal(local, remote)
    _equal(local, by_address)


def test_dask_cluster_without_workers_fails_with_a_message(compiled) -> None:
    """A cluster whose workers are gone must not leave a run waiting for ever."""
    distributed = pytest.importorskip("distributed")
    from reeplan.errors import ReeError

    net, comp = compiled
    with distributed.LocalCluster(n_workers=0, processes=False,
                                  dashboard_address=None) as cluster, \
            pytest.raises(ReeError, match="finished 0 of 2 simulation chunks within 2 s"):
        run_simulation(net, comp, 500, seed=7, chunk_size=250,
                       scheduler=cluster.scheduler_address, timeout=2.0)
