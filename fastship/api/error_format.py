"""The API's one error format, as bytes, for answers made outside DRF.

``{"type": ..., "errors": [{"code", "detail", "attr"}]}`` is what
drf-standardized-errors answers in views; the probe layer, middleware and the
404/500 handlers answer before or after DRF runs, with this. Pure: importable
before Django is set up.
"""

from __future__ import annotations

import json


def error_body(code: str, detail: str, kind: str = "client_error") -> bytes:
    """One error with no attribute: ``kind`` is client_error or server_error."""
    return json.dumps(
        {"type": kind, "errors": [{"code": code, "detail": detail, "attr": None}]}
    ).encode()
