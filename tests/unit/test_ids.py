import time

from reelforge.domain.ids import id_prefix, new_id


def test_ids_are_prefixed_unique_and_time_ordered() -> None:
    first = new_id("run")
    time.sleep(0.002)
    ids = [new_id("run") for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(i.startswith("run_") and len(i) == 30 for i in ids)
    assert first < min(ids)
    assert id_prefix(first) == "run"
