"""Checks of Baida's own for schemathesis (loaded with SCHEMATHESIS_HOOKS=hooks).

Beyond conformance to the document: a client that is not logged in never gets a 2xx from an
operation the document says needs a log-in (a bearer token or a session), and a logged-in
resident or community admin never gets one from an operation beyond their role — whatever
they send.
"""

import os

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


# What a role may never get a 2xx from, whatever it sends (BAIDA_FUZZ_ROLE names the role the
# run is logged in as). A resident is not staff: of the operations that need a log-in, only
# "who am I", voting and commenting on a proposal are theirs. A community admin builds no apps, manages no
# organisation, plugins or responsibility list, and reviews no catalog submission (the
# district's permissions).
RESIDENT_MAY = {
    "GET /api/v1/me",
    "POST /api/v1/cases/{id}/vote",
    "POST /api/v1/cases/{id}/comments",
}
COMMUNITY_ADMIN_MAY_NOT = {
    "POST /api/v1/apps",
    "POST /api/v1/drafts/{app}/publish",
    "POST /api/v1/apps/{app}/rollback",
    "PUT /api/v1/apps/{app}/archived",
    "POST /api/v1/plugins",
    "POST /api/v1/org-units",
    "PATCH /api/v1/org-units/{id}",
    "POST /api/v1/org-units/{id}/retire",
    "PUT /api/v1/responsibilities/{category}",
    "POST /api/v1/catalog/submissions/{id}/review",
}


@schemathesis.check
def a_role_never_succeeds_beyond_its_permissions(ctx, response, case):
    role = os.environ.get("BAIDA_FUZZ_ROLE", "")
    if not 200 <= response.status_code < 300:
        return
    label = f"{case.operation.method.upper()} {case.operation.path}"
    security = case.operation.definition.raw.get("security") or []
    needs_log_in = bool(security) and all(requirement for requirement in security)
    if role == "resident" and needs_log_in and label not in RESIDENT_MAY:
        raise AssertionError(f"{label} answered {response.status_code} to a resident")
    if role == "community-admin" and label in COMMUNITY_ADMIN_MAY_NOT:
        raise AssertionError(f"{label} answered {response.status_code} to a community admin")
