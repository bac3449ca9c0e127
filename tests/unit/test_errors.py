import pickle

import pytest

from reelforge.domain.errors import ERROR_INFO, ErrorCode, ReelForgeError

REQUIRED = {
    "VALIDATION_ERROR", "CONTRACT_MISMATCH", "NOT_FOUND", "CONFLICT", "AUTH_FAILED",
    "FORBIDDEN", "RATE_LIMITED", "INSUFFICIENT_FUNDS", "ENGINE_OFFLINE", "ENGINE_TIMEOUT",
    "DEPENDENCY_MISSING", "PROVIDER_ERROR", "SAFETY_FILTER", "CONSENT_MISSING",
    "FILE_NOT_FOUND", "UNSUPPORTED_MEDIA", "LICENSE_UNKNOWN", "CHECKSUM_MISSING",
    "CHECKSUM_MISMATCH", "UNSAFE_URL", "PROVIDER_OUT_OF_CREDIT", "PROVIDER_TASK_LOST",
}  # fmt: skip


def test_taxonomy_covers_required_codes() -> None:
    assert REQUIRED <= {c.value for c in ErrorCode}


@pytest.mark.parametrize("code", list(ErrorCode))
def test_each_code_has_message_and_remediation(code: ErrorCode) -> None:
    info = ERROR_INFO[code]
    assert info.message and info.remediation and all(info.remediation)
    assert 400 <= info.http_status < 600


def test_retryable_defaults_and_override() -> None:
    assert ReelForgeError(ErrorCode.RATE_LIMITED).retryable
    assert not ReelForgeError(ErrorCode.SAFETY_FILTER).retryable
    assert not ReelForgeError(ErrorCode.PROVIDER_ERROR, retryable=False).retryable


def test_error_pickles_with_everything() -> None:
    err = ReelForgeError(
        ErrorCode.ENGINE_TIMEOUT, "late", detail={"task_id": "t1"}, retry_after=3.0
    )
    back = pickle.loads(pickle.dumps(err))
    assert (back.code, back.message, back.detail, back.retry_after) == (
        ErrorCode.ENGINE_TIMEOUT, "late", {"task_id": "t1"}, 3.0,
    )  # fmt: skip
    assert back.to_dict()["detail"]["retry_after"] == 3.0
