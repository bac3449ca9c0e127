"""The series platform of a process, made once from its container (API and workers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reelforge.apps.series.platform import (
    SeriesConfig,
    SeriesPlatform,
    make_facilitator,
    sandbox_pay_to,
)
from reelforge.logs import get_logger

if TYPE_CHECKING:
    from reelforge.container import Container

log = get_logger("reelforge.series")

KEY = "series_platform"


def config_of(container: Container) -> SeriesConfig:
    s = container.settings
    pay_to = s.series_pay_to
    if pay_to is None and s.sandbox:
        pay_to = sandbox_pay_to(str(container.extras.get("secret", "")))
    return SeriesConfig(
        sandbox=s.sandbox,
        network=s.series_network,
        pay_to=pay_to.lower() if pay_to else None,
        facilitator_url=s.series_facilitator_url,
        tip_default_cents=s.series_tip_default_cents,
        tip_min_cents=s.series_tip_min_cents,
        voting_hours=s.series_voting_hours,
        clip_voting_hours=s.series_clip_voting_hours,
        job_seconds=s.series_job_seconds,
        staking_enabled=s.series_staking_enabled,
        public_base_url=(s.public_base_url or "http://localhost").rstrip("/"),
        cdp_key_id=s.series_cdp_api_key_id,
        cdp_key_secret=(
            s.series_cdp_api_key_secret.get_secret_value() if s.series_cdp_api_key_secret else None
        ),
    )


def payout_rail(container: Container, config: SeriesConfig) -> object | None:
    """The EVM payout rail when configured; its key must be payTo's (tips land there)."""
    s = container.settings
    if not (s.series_payout_rpc_url and s.series_payout_key_file):
        return None
    from reelforge.apps.series.payouts import EvmRail

    key = s.series_payout_key_file.read_text().strip()
    rail = EvmRail(s.series_payout_rpc_url, key, config.network)
    if rail.sender.lower() != (config.pay_to or ""):
        log.error(
            "series payouts off: the payout key is not payTo's",
            key_address=rail.sender.lower(),
            pay_to=config.pay_to,
        )
        return None
    return rail


def platform_of(container: Container) -> SeriesPlatform:
    platform: SeriesPlatform | None = container.extras.get(KEY)
    if platform is None:
        config = config_of(container)
        platform = SeriesPlatform(
            db=container.db,
            config=config,
            runs=getattr(container, "runs", None),
            artifacts=container.artifacts,
            runner=getattr(container, "runner", None),
            facilitator=make_facilitator(config),
        )
        platform.extras["secret"] = str(container.extras.get("secret", ""))
        rail = payout_rail(container, config)
        if rail is not None:
            platform.extras["payout_rail"] = rail
        container.extras[KEY] = platform
    return platform
