"""The ledger's `outcome` and `error_type` of a call, read from the exception it raised.

Exceptions are read by class name and status code, so no SDK has to be imported: OpenAI's
and Anthropic's RateLimitError and APITimeoutError, google-genai's APIError (`code` 429),
botocore's ClientError (`ThrottlingException`), asyncio's CancelledError, and so on.
"""

from collections.abc import Mapping
from typing import Any

SUCCESS = "success"
ERROR = "error"
TIMEOUT = "timeout"
RATE_LIMITED = "rate_limited"
CANCELLED = "cancelled"
CONTENT_FILTERED = "content_filtered"

_CANCEL_NAMES = ("cancellederror", "keyboardinterrupt", "generatorexit")
_RATE_NAMES = ("ratelimit", "throttl", "toomanyrequests", "resourceexhausted")
_TIMEOUT_NAMES = ("timeout", "timedout", "deadlineexceeded")
_FILTER_NAMES = ("contentfilter", "contentpolicy", "safetyblock")
_TIMEOUT_STATUS = (408, 504)


def outcome_of(exc: BaseException | None) -> str:
    """success without an exception; else rate_limited, timeout, cancelled, ... or error."""
    if exc is None:
        return SUCCESS
    names = _class_names(exc) + " " + (error_type_of(exc) or "").lower()
    status = status_of(exc)
    if any(n in names for n in _CANCEL_NAMES):
        return CANCELLED
    if status == 429 or any(n in names for n in _RATE_NAMES):
        return RATE_LIMITED
    if status in _TIMEOUT_STATUS or any(n in names for n in _TIMEOUT_NAMES):
        return TIMEOUT
    if any(n in names for n in _FILTER_NAMES):
        return CONTENT_FILTERED
    return ERROR


def error_type_of(exc: BaseException | None) -> str | None:
    """botocore's error code when there is one, else the exception's class name."""
    if exc is None:
        return None
    code = _botocore_error(exc).get("Code")
    if isinstance(code, str) and code:
        return code[:128]
    return type(exc).__name__


def status_of(exc: BaseException) -> int | None:
    """The HTTP status an SDK error carries (status_code, code, or botocore metadata)."""
    for name in ("status_code", "status", "code", "http_status"):
        value = getattr(exc, name, None)
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value < 600:
            return value
    response = getattr(exc, "response", None)
    metadata = response.get("ResponseMetadata") if isinstance(response, Mapping) else None
    value = metadata.get("HTTPStatusCode") if isinstance(metadata, Mapping) else None
    return value if isinstance(value, int) else None


def _botocore_error(exc: BaseException) -> Mapping[str, Any]:
    response = getattr(exc, "response", None)
    error = response.get("Error") if isinstance(response, Mapping) else None
    return error if isinstance(error, Mapping) else {}


def _class_names(exc: BaseException) -> str:
    names = [cls.__name__ for cls in type(exc).__mro__]
    status_text = getattr(exc, "status", None)
    if isinstance(status_text, str):
        names.append(status_text)
    return " ".join(names).lower().replace("_", "")
