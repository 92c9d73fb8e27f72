import numpy as np

from compmo_gen.composition.atoms import AtomicClip
from compmo_gen.dataset.splits import atomic_split, check_disjoint, sequence_splits


def test_sequence_splits_80_10_10():
    r = sequence_splits(1000, (0.8, 0.1, 0.1))
    assert r == [("train", 0, 800), ("val", 800, 900), ("test", 900, 1000)]
    assert sequence_splits(7, (0.8, 0.1, 0.1))[-1][2] == 7


def test_atomic_split_of_library_shares_nothing(small_library):
    pools, report = atomic_split(small_library, (0.8, 0.1, 0.1), seed=0)
    assert report["strategy"] == "components"
    assert check_disjoint(pools) == []
    n = len(small_library)
    assert sum(len(p) for p in pools.values()) == n
    assert 0.05 * n <= len(pools["test"]) <= 0.15 * n


def _clip(i, caps, group=None):
    return AtomicClip(
        f"{i:06d}", group or f"{i:06d}", np.zeros((40, 22, 3), np.float32), tuple(caps)
    )


def test_atomic_split_falls_back_when_captions_chain_everything():
    # a generic caption shared by every clip makes a single component (as in HumanML3D)
    clips = [_clip(i, [f"caption {i}", "a person walks"]) for i in range(60)]
    pools, report = atomic_split(clips, (0.8, 0.1, 0.1), seed=1)
    assert report["strategy"] == "groups+caption-removal"
    assert check_disjoint(pools) == []
    assert len(pools["test"]) >= 5 and report["dropped_captions"] >= 10
    assert all(c.captions == (f"caption {int(c.id)}",) for c in pools["test"])
    kept = sum(len(p) for p in pools.values())
    assert kept + report["dropped_clips"] == 60


def test_mirrors_stay_together():
    clips = [_clip(i, [f"c{i}"], group=f"g{i // 2}") for i in range(40)]
    pools, _ = atomic_split(clips, (0.8, 0.1, 0.1), seed=0)
    where = {c.id: s for s, p in pools.items() for c in p}
    for i in range(0, 40, 2):
        assert where[f"{i:06d}"] == where[f"{i + 1:06d}"]
