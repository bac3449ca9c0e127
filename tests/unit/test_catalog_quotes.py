"""Quotes: one generation by price basis, a node with fallbacks, a pipeline."""

from __future__ import annotations

from typing import Any

from reelforge.catalog.quotes import quote_generation, quote_node, quote_pipeline
from reelforge.domain.catalog import Limits, ModelEntry, Price, PriceBasis
from reelforge.domain.modes import MediaKind, Mode


def entry(
    name: str,
    micros: int | None,
    basis: PriceBasis = PriceBasis.PER_GENERATION,
    props: dict[str, Any] | None = None,
    **extra: Any,
) -> ModelEntry:
    return ModelEntry(
        id=f"demo/{name}",
        provider="demo",
        provider_model=name,
        label=name,
        modes=[Mode.T2V],
        output_kind=MediaKind.VIDEO,
        price=Price(micros=micros, basis=basis),
        params_schema={"type": "object", "properties": props or {}},
        **extra,
    )


def test_per_generation() -> None:
    q = quote_generation(entry("a", 96_000), {"duration": 10})
    assert (q.micros, q.display, q.known, q.units) == (96_000, "$0.096", True, 1.0)


def test_per_second_uses_the_requested_duration() -> None:
    e = entry("a", 50_000, PriceBasis.PER_SECOND, {"duration": {"type": "integer", "default": 5}})
    assert quote_generation(e, {"duration": 10}).micros == 500_000
    assert quote_generation(e, {"duration": "8"}).micros == 400_000
    assert quote_generation(e, {"duration": "6s"}).display == "$0.3"
    assert quote_generation(e, {}).micros == 250_000, "schema default"
    q = quote_generation(e, {"duration": 2.5})
    assert q.micros == 125_000 and q.note == "$0.05/s × 2.5 s"


def test_per_second_fixed_duration_and_limits() -> None:
    fixed = entry("b", 70_000, PriceBasis.PER_SECOND, fixed_params={"duration": "10"})
    assert quote_generation(fixed, {"duration": 5}).micros == 700_000, "fixed params win"
    limited = entry("c", 10_000, PriceBasis.PER_SECOND, limits=Limits(durations=[8, 4]))
    assert quote_generation(limited).micros == 40_000, "shortest allowed duration"


def test_per_second_without_any_duration_is_unknown() -> None:
    q = quote_generation(entry("d", 10_000, PriceBasis.PER_SECOND))
    assert not q.known and q.micros is None and q.display == "unknown"
    assert "duration" in q.note


def test_per_image_times_count() -> None:
    e = entry("e", 40_000, PriceBasis.PER_IMAGE, {"num_images": {"type": "integer", "default": 2}})
    assert quote_generation(e).micros == 80_000
    assert quote_generation(e, {"num_images": 4}).micros == 160_000
    assert quote_generation(entry("f", 40_000, PriceBasis.PER_IMAGE), {"n": 3}).micros == 120_000
    assert quote_generation(entry("g", 40_000, PriceBasis.PER_IMAGE)).micros == 40_000


def test_unknown_price_is_said_not_invented() -> None:
    q = quote_generation(entry("h", None))
    assert not q.known and q.display == "unknown" and q.micros is None


def test_free_model() -> None:
    q = quote_generation(entry("free", 0))
    assert q.known and q.micros == 0 and q.display == "$0"


def test_node_with_fallbacks_counts_its_most_expensive_option() -> None:
    node = quote_node(
        [(entry("a", 100_000), {}), (entry("b", 300_000), {}), (entry("c", 200_000), {})]
    )
    assert node.micros == 300_000 and node.counted_model == "demo/b" and node.known
    assert node.model == "demo/a" and len(node.options) == 3


def test_node_with_an_unknown_option() -> None:
    node = quote_node([(entry("a", 100_000), {}), (entry("b", None), {})])
    assert not node.known and node.micros == 100_000 and node.display == "≥ $0.1"
    only_unknown = quote_node([(entry("b", None), {})])
    assert only_unknown.micros is None and only_unknown.display == "unknown"


def test_pipeline_is_the_sum_of_its_nodes() -> None:
    per_second = entry("v", 50_000, PriceBasis.PER_SECOND)
    p = quote_pipeline(
        [
            [(entry("img", 96_000), {})],
            [(per_second, {"duration": 5}), (entry("alt", 100_000), {})],
            [(entry("up", 24_000), {})],
        ]
    )
    assert p.micros == 96_000 + 250_000 + 24_000 and p.known and p.display == "$0.37"
    partial = quote_pipeline([[(entry("img", 96_000), {})], [(entry("x", None), {})]])
    assert not partial.known and partial.micros == 96_000 and partial.display == "≥ $0.096"
    nothing = quote_pipeline([[(entry("x", None), {})]])
    assert nothing.display == "unknown"
