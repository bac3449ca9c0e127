"""Billing: the double-entry credit ledger, run holds, plans, top-ups and revenue splits.

Everything here takes an ``AsyncSession`` and never commits: the caller's transaction
decides. See ``billing.ledger`` for the accounts and the flow of money.
"""

from reelforge.billing.charges import Charge, capture, record_provider_failure_charge
from reelforge.billing.credits import CreditUnit
from reelforge.billing.holds import Hold, get_hold, place_hold, release
from reelforge.billing.ledger import Posted, find_transaction
from reelforge.billing.plans import Plan, get_plan, list_plans, load_plans, sync_plans
from reelforge.billing.splits import Split, split_amount, split_payment
from reelforge.billing.topups import adjust, credit_topup
from reelforge.billing.verify import LedgerReport, verify_balances
from reelforge.billing.wallets import WalletState, ensure_period, set_plan, wallet_state

__all__ = [
    "Charge",
    "CreditUnit",
    "Hold",
    "LedgerReport",
    "Plan",
    "Posted",
    "Split",
    "WalletState",
    "adjust",
    "capture",
    "credit_topup",
    "ensure_period",
    "find_transaction",
    "get_hold",
    "get_plan",
    "list_plans",
    "load_plans",
    "place_hold",
    "record_provider_failure_charge",
    "release",
    "set_plan",
    "split_amount",
    "split_payment",
    "sync_plans",
    "verify_balances",
    "wallet_state",
]
