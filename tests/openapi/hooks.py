"""Checks of Baida's own for schemathesis (loaded with SCHEMATHESIS_HOOKS=hooks).

Beyond conformance to the document: a client that is not logged in never gets a 2xx from an
operation the document says needs a log-in (a bearer token or a session) — whatever it sends.
"""

import schemathesis


@schemathesis.check
def anonymous_never_succeeds_where_a_log_in_is_needed(ctx, response, case):
    security = case.operation.definition.raw.get("security") or []
    needs_log_in = bool(security) and all(requirement for requirement in security)
    sent_credentials = any(h.lower() in ("authorization", "cookie") for h in (case.headers or {}))
    if needs_log_in and not sent_credentials and 200 <= response.status_code < 300:
        raise AssertionError(
            f"{case.operation.label} answered {response.status_code} to a client that is not logged in"
        )
