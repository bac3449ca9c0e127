"""The double-entry credit ledger: accounts, balanced transactions, idempotency.

Accounts (``ledger_accounts``, one row each, named by a stable ``code``)::

    user:<id>:allocation     the plan's monthly credits; reset each period      >= 0
    user:<id>:topup          bought or granted credits; never expire            >= 0
    hold:<run id>            credits reserved for one run in flight             >= 0
    payee:<id>               earnings from revenue splits (creator, agent ...)  >= 0
    platform:provider_spend  what was paid to providers                         >= 0
    platform:revenue         the platform's margin and its share of splits      >= 0
    platform:cost            provider charges the platform absorbed             may be < 0
    platform:grants          source of plan allocations (and where they expire) may be < 0
    platform:adjustments     counterpart of admin adjustments                   may be < 0
    external:<source>        money that came in: ``external:admin``,
                             ``external:payment:<provider>``                    may be < 0
    own_keys:<id>            what the user paid providers on their own keys     may be < 0
    own_spend:<id>:<prov>    the same spend, by provider (budgets are checked
                             against it; never plan credits)                    >= 0

Every transaction is a set of entries that sums to zero, so the sum of all balances is
always zero: sources go negative by what they put in, the others hold what they got.
Amounts are integer micro-USD. Each transaction has a unique idempotency key; posting a
key again returns the original transaction and changes nothing. User and payee accounts
cache their balance (updated in the same statement that checks it may not go negative);
``billing.verify.verify_balances`` rebuilds every balance from the entries and compares.
Platform and external accounts keep no cached balance: every user's runs post to them,
and a cached balance would be one row that all of them queue on (and a deadlock risk
between transactions that touch two of them in different orders). Their balance is
summed from the entries when asked (``balance_of``).

The flow of a run (``billing.holds``; the engine calls these inside its own database
transaction, and nothing in billing ever commits)::

    place_hold   allocation, then topup  → hold:<run>       (the quote; refused with
                                                             INSUFFICIENT_FUNDS if short)
    capture      hold:<run> → provider_spend (+ revenue or platform cost for the
                 difference between the price and the provider's cost)
    release      hold:<run> → topup, then allocation        (the unspent rest)

Top-ups: external:<source> → topup. Period reset: allocation → grants (expired) and
grants → allocation (the new month). Splits: payer → payee:<id> ..., by shares.

Concurrency: every operation that spends a user's credits first bumps the user's wallet
row (``billing.wallets.lock_wallet``). On PostgreSQL that UPDATE holds the row lock until
the caller commits, so a user's spends run one after the other and each reads balances
after the previous one committed. On SQLite the same UPDATE takes the database's single
write lock (the driver opens the transaction at the first write, and a transaction that
begins with a write waits on busy_timeout instead of failing), with the same effect.
The balance UPDATE carries ``WHERE balance + delta >= 0`` and the table a CHECK, so even
a caller that skipped the lock could not overdraw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.billing.sql import insert_ignore
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.storage.ledger_tables import AccountRow, EntryRow, TransactionRow
from reelforge.storage.tables import utcnow

# Account kinds; the ones in NEGATIVE_OK are sources and may go below zero.
ALLOCATION = "allocation"
TOPUP = "topup"
HOLD = "hold"
PAYEE = "payee"
PROVIDER_SPEND = "provider_spend"
REVENUE = "revenue"
PLATFORM_COST = "platform_cost"
GRANTS = "grants"
ADJUSTMENTS = "adjustments"
EXTERNAL = "external"
# Spend on the user's own provider keys (billing.own_keys): recorded, never plan credits.
OWN_KEYS = "own_keys"
OWN_SPEND = "own_spend"
NEGATIVE_OK = frozenset({PLATFORM_COST, GRANTS, ADJUSTMENTS, EXTERNAL, OWN_KEYS})
# Shared by all users: balance summed on demand instead of a hot cached row.
UNCACHED = frozenset({PROVIDER_SPEND, REVENUE, PLATFORM_COST, GRANTS, ADJUSTMENTS, EXTERNAL})

PLATFORM_CODES = {
    PROVIDER_SPEND: "platform:provider_spend",
    REVENUE: "platform:revenue",
    PLATFORM_COST: "platform:cost",
    GRANTS: "platform:grants",
    ADJUSTMENTS: "platform:adjustments",
}


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    code: str
    kind: str
    cached: bool


@dataclass(frozen=True, slots=True)
class PostedEntry:
    account_code: str
    amount_micros: int
    balance_after_micros: int | None  # None on accounts that keep no balance


@dataclass(frozen=True, slots=True)
class Posted:
    """A transaction as written (or as found, when ``replayed``)."""

    id: str
    idempotency_key: str
    kind: str
    amount_micros: int
    owner_id: str | None
    run_id: str | None
    step_id: str | None
    actor_id: str | None
    reason: str | None
    source: str | None
    external_id: str | None
    created_at: datetime
    entries: tuple[PostedEntry, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False


def user_code(owner_id: str, kind: str) -> str:
    return f"user:{owner_id}:{kind}"


def hold_code(run_id: str) -> str:
    return f"hold:{run_id}"


async def get_account(
    session: AsyncSession,
    code: str,
    kind: str,
    *,
    owner_id: str | None = None,
    run_id: str | None = None,
) -> Account:
    """The account named ``code``, created on first use."""
    stmt = select(AccountRow.id, AccountRow.code, AccountRow.kind, AccountRow.cached).where(
        AccountRow.code == code
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        now = utcnow()
        account = Account(new_id("acc"), code, kind, kind not in UNCACHED)
        inserted = await insert_ignore(
            session,
            AccountRow,
            {
                "id": account.id,
                "code": code,
                "kind": kind,
                "owner_id": owner_id,
                "run_id": run_id,
                "allow_negative": kind in NEGATIVE_OK,
                "cached": account.cached,
                "balance_micros": 0,
                "created_at": now,
                "updated_at": now,
            },
            ["code"],
        )
        if inserted:
            return account
        row = (await session.execute(stmt)).one()
    return Account(id=row.id, code=row.code, kind=row.kind, cached=row.cached)


async def platform_account(session: AsyncSession, kind: str) -> Account:
    return await get_account(session, PLATFORM_CODES[kind], kind)


async def user_account(session: AsyncSession, owner_id: str, kind: str) -> Account:
    return await get_account(session, user_code(owner_id, kind), kind, owner_id=owner_id)


async def balance_of(session: AsyncSession, account: Account) -> int:
    if not account.cached:
        total = select(func.coalesce(func.sum(EntryRow.amount_micros), 0)).where(
            EntryRow.account_id == account.id
        )
        return int((await session.execute(total)).scalar_one())
    stmt = select(AccountRow.balance_micros).where(AccountRow.id == account.id)
    return int((await session.execute(stmt)).scalar_one())


async def find_transaction(session: AsyncSession, idempotency_key: str) -> Posted | None:
    row = (
        await session.execute(
            select(TransactionRow)
            .where(TransactionRow.idempotency_key == idempotency_key)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    entries = await session.execute(
        select(AccountRow.code, EntryRow.amount_micros, EntryRow.balance_after_micros)
        .join(AccountRow, AccountRow.id == EntryRow.account_id)
        .where(EntryRow.transaction_id == row.id)
        .order_by(EntryRow.id)
    )
    return Posted(
        id=row.id,
        idempotency_key=row.idempotency_key,
        kind=row.kind,
        amount_micros=row.amount_micros,
        owner_id=row.owner_id,
        run_id=row.run_id,
        step_id=row.step_id,
        actor_id=row.actor_id,
        reason=row.reason,
        source=row.source,
        external_id=row.external_id,
        created_at=row.created_at,
        entries=tuple(PostedEntry(c, a, b) for c, a, b in entries),
        meta=dict(row.meta or {}),
        replayed=True,
    )


def check_replay(
    posted: Posted, *, kind: str, owner_id: str | None, amount_micros: int, run_id: str | None
) -> Posted:
    """A replayed key must name the same operation; reusing it for another is a conflict."""
    if (posted.kind, posted.owner_id, posted.amount_micros, posted.run_id) != (
        kind,
        owner_id,
        amount_micros,
        run_id,
    ):
        raise ReelForgeError(
            ErrorCode.CONFLICT,
            f"The idempotency key {posted.idempotency_key!r} was already used for another "
            "operation.",
            detail={
                "transaction_id": posted.id,
                "kind": posted.kind,
                "amount_micros": posted.amount_micros,
                "run_id": posted.run_id,
            },
        )
    return posted


def _merge(legs: Sequence[tuple[Account, int]]) -> dict[str, tuple[Account, int]]:
    merged: dict[str, tuple[Account, int]] = {}
    for account, amount in legs:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError(f"ledger amounts are int micro-USD, got {amount!r}")
        previous = merged.get(account.id, (account, 0))[1]
        merged[account.id] = (account, previous + amount)
    total = sum(amount for _acc, amount in merged.values())
    if total != 0:
        # The code-side guarantee of double entry; verify_balances is the data-side one.
        raise ReelForgeError(
            ErrorCode.INTERNAL_ERROR,
            "Refusing an unbalanced ledger transaction.",
            detail={"sum_micros": total, "legs": {a.code: m for a, m in merged.values()}},
        )
    return merged


async def _apply(session: AsyncSession, account: Account, delta: int, now: datetime) -> int | None:
    if not account.cached:
        return None
    stmt = (
        update(AccountRow)
        .where(
            AccountRow.id == account.id,
            or_(AccountRow.allow_negative, AccountRow.balance_micros + delta >= 0),
        )
        .values(balance_micros=AccountRow.balance_micros + delta, updated_at=now)
        .returning(AccountRow.balance_micros)
        .execution_options(synchronize_session=False)
    )
    balance = (await session.execute(stmt)).scalar_one_or_none()
    if balance is None:
        # Callers check funds under the wallet lock first, so this means the lock was
        # bypassed; refuse rather than overdraw (and the caller's transaction rolls back).
        raise ReelForgeError(
            ErrorCode.INSUFFICIENT_FUNDS,
            f"The account {account.code} cannot go below zero.",
            detail={"account": account.code, "delta_micros": delta},
        )
    return int(balance)


async def post(
    session: AsyncSession,
    *,
    kind: str,
    idempotency_key: str,
    legs: Sequence[tuple[Account, int]],
    amount_micros: int,
    owner_id: str | None = None,
    run_id: str | None = None,
    step_id: str | None = None,
    actor_id: str | None = None,
    reason: str | None = None,
    source: str | None = None,
    external_id: str | None = None,
    meta: dict[str, Any] | None = None,
    now: datetime | None = None,
    replay_checked: bool = False,
) -> Posted:
    """Write one balanced transaction, or return the one already under ``idempotency_key``.

    Never commits. Legs on the same account are merged and zero legs dropped; balances
    are updated in account-id order so concurrent transactions never deadlock.
    ``replay_checked``: the caller looked the key up already (under its lock), so the
    lookup is skipped; the insert still refuses a duplicate key.
    """
    if not idempotency_key or len(idempotency_key) > 200:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR, "An idempotency key of 1 to 200 characters is required."
        )
    merged = _merge(legs)
    if not replay_checked:
        existing = await find_transaction(session, idempotency_key)
        if existing is not None:
            return existing
    now = now or utcnow()
    txn_id = new_id("txn")
    claimed = await insert_ignore(
        session,
        TransactionRow,
        {
            "id": txn_id,
            "idempotency_key": idempotency_key,
            "kind": kind,
            "owner_id": owner_id,
            "run_id": run_id,
            "step_id": step_id,
            "amount_micros": amount_micros,
            "actor_id": actor_id,
            "reason": reason,
            "source": source,
            "external_id": external_id,
            "meta": dict(meta or {}),
            "created_at": now,
        },
        ["idempotency_key"],
    )
    if not claimed:  # a concurrent session committed the same key first
        found = await find_transaction(session, idempotency_key)
        assert found is not None
        return found
    entries: list[PostedEntry] = []
    rows: list[dict[str, Any]] = []
    for account_id in sorted(merged):
        account, delta = merged[account_id]
        if delta == 0:
            continue
        balance = await _apply(session, account, delta, now)
        entries.append(PostedEntry(account.code, delta, balance))
        rows.append(
            {
                "transaction_id": txn_id,
                "account_id": account.id,
                "amount_micros": delta,
                "balance_after_micros": balance,
                "created_at": now,
            }
        )
    if rows:
        await session.execute(insert(EntryRow), rows)
    return Posted(
        id=txn_id,
        idempotency_key=idempotency_key,
        kind=kind,
        amount_micros=amount_micros,
        owner_id=owner_id,
        run_id=run_id,
        step_id=step_id,
        actor_id=actor_id,
        reason=reason,
        source=source,
        external_id=external_id,
        created_at=now,
        entries=tuple(entries),
        meta=dict(meta or {}),
    )
