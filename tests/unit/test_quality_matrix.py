"""The quality matrix matches the catalog, and the ranking weighs what it says it weighs."""

from __future__ import annotations

from reelforge.catalog.loader import load_curated
from reelforge.domain.catalog import Features, ModelEntry, Price
from reelforge.domain.modes import MediaKind, Mode
from reelforge.engine.quality import Candidate, load_matrix, rank


def test_every_matrix_model_exists_with_that_mode() -> None:
    entries = {e.id: e for e in load_curated()}
    matrix = load_matrix()
    for mode, tiers in matrix.modes.items():
        for tier, scores in tiers.items():
            for model_id, score in scores.items():
                assert model_id in entries, f"{mode}/{tier}: {model_id} not in the catalog"
                assert Mode(mode) in entries[model_id].modes, f"{model_id} does not do {mode}"
                assert 0 <= score <= 100
    assert set(matrix.scores(Mode.T2V, "hd")) < set(matrix.scores(Mode.T2V, "standard"))


def entry(model_id: str, micros: int | None = 1000, **features: bool) -> ModelEntry:
    return ModelEntry(
        id=model_id,
        provider=model_id.split("/")[0],
        provider_model=model_id,
        label=model_id,
        modes=[Mode.T2V],
        output_kind=MediaKind.VIDEO,
        price=Price(micros=micros),
        features=Features(**features),
    )


def cand(
    model_id: str,
    quality: int,
    micros: int | None = 1000,
    connection: str = "sandbox",
    **kw: object,
) -> Candidate:
    features = {k: v for k, v in kw.items() if k in ("negative_prompt", "audio")}
    rest = {k: v for k, v in kw.items() if k not in features}
    return Candidate(
        entry(model_id, micros, **features),
        quality,
        {},
        quote_micros=micros,
        connection=connection,
        **rest,
    )  # type: ignore[arg-type]


def order(ranked: list) -> list[str]:  # type: ignore[type-arg]
    return [r.candidate.entry.id for r in ranked if r.excluded is None]


def test_quality_then_price_then_credential_then_preference() -> None:
    a, b = cand("a/x", 90, 5000), cand("b/x", 80, 1000)
    assert order(rank([a, b], needs=[], uses=set(), prefer=[])) == ["a/x", "b/x"]
    a.quality = 84  # close in quality: the much cheaper one wins
    assert order(rank([a, b], needs=[], uses=set(), prefer=[])) == ["b/x", "a/x"]
    a.connection = "live"  # the user's own key
    assert order(rank([a, b], needs=[], uses=set(), prefer=[])) == ["a/x", "b/x"]
    assert order(rank([a, b], needs=[], uses=set(), prefer=["b"])) == ["b/x", "a/x"]


def test_exclusions_are_explained() -> None:
    ranked = rank(
        [
            cand("a/x", 90, negative_prompt=False),
            cand("b/x", 80, negative_prompt=True),
            cand("c/x", 95, negative_prompt=True, connection="offline"),
            cand("d/x", 95, negative_prompt=True, cooling=True),
            cand("e/x", 95, 9000, negative_prompt=True),
        ],
        needs=["negative_prompt"],
        uses={"negative_prompt"},
        prefer=[],
        max_micros=5000,
    )
    assert order(ranked) == ["b/x"]
    why = {r.candidate.entry.id: r.excluded for r in ranked}
    assert "negative_prompt" in (why["a/x"] or "")
    assert "not connected" in (why["c/x"] or "") and "cooling" in (why["d/x"] or "")
    assert why["e/x"] == "above max_micros"


def test_recent_errors_sink_a_candidate() -> None:
    a, b = cand("a/x", 85), cand("b/x", 80)
    a.error_rate = 0.5
    assert order(rank([a, b], needs=[], uses=set(), prefer=[])) == ["b/x", "a/x"]
