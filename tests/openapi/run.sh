#!/usr/bin/env bash
# OpenAPI-driven fuzzing: schemathesis (from PyPI, in a virtual environment under
# ~/.cache) reads /api/v1/openapi.json of a demo server and sends generated requests to every
# operation, as an anonymous client, as a logged-in resident and as a community admin. It
# fails on any 5xx, any status code, content type or response body the document does not
# describe; and, of its own (hooks.py), no role gets a 2xx from an operation beyond it: an
# anonymous client from one that needs a log-in, a resident from a staff operation, a community
# admin from the district's. Bounded: a few examples per operation, well under a few minutes.
#
# BAIDA_BIN is the baida binary; ST_EXAMPLES (default 8) examples per operation and phase.
set -euo pipefail
cd "$(dirname "$0")/../.."
BAIDA_BIN="${BAIDA_BIN:?set BAIDA_BIN to the baida binary}"
venv="$HOME/.cache/baida-schemathesis"
if [ ! -x "$venv/bin/st" ]; then
  echo "openapi fuzz: installing schemathesis into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis>=4.3,<5'
fi
work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
token="openapi-fuzz-admin-token-0123456789abcdef"
"$BAIDA_BIN" serve --demo --listen "127.0.0.1:$port" --data-dir "$work/data" --admin-token "$token" \
  --public-submissions-per-minute 0 >"$work/baida.log" 2>&1 & pid=$!
for _ in $(seq 1 150); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

# A community admin's session (staff log-in) and a resident's (the demo prints the SMS code).
staff=$(curl -fs -D - -o /dev/null -H 'content-type: application/json' \
  --data '{"login":"xinzhou","password":"Baida-demo-2026"}' "$base/api/v1/session" |
  sed -n 's/^[Ss]et-[Cc]ookie: \(baida_session=[^;]*\).*/\1/p' | head -n 1)
curl -fs -o /dev/null --data 'phone=13800138000' "$base/my/login"
code=""
for _ in $(seq 1 50); do
  code=$(sed -n 's/.*demo: a resident.s log-in code.* code=\([0-9]\{6\}\).*/\1/p' "$work/baida.log" | tail -n 1)
  [ -n "$code" ] && break; sleep 0.1
done
resident=$(curl -fs -D - -o /dev/null --data "phone=13800138000&code=$code" "$base/my/login/verify" |
  sed -n 's/^[Ss]et-[Cc]ookie: \(baida_session=[^;]*\).*/\1/p' | head -n 1)
[ -n "$staff" ] && [ -n "$resident" ] || { echo "openapi fuzz: could not log in (staff '$staff', resident '$resident')"; tail -20 "$work/baida.log"; exit 1; }

examples="${ST_EXAMPLES:-8}"
checks="not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
status=0
export PYTHONPATH="$PWD/tests/openapi${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=hooks
for who in anonymous resident community-admin; do
  header=()
  run_checks="$checks"
  case "$who" in
    anonymous) run_checks="$checks,anonymous_never_succeeds_where_a_log_in_is_needed" ;;
    resident) header=(-H "Cookie: $resident"); run_checks="$checks,a_role_never_succeeds_beyond_its_permissions" ;;
    community-admin) header=(-H "Cookie: $staff"); run_checks="$checks,a_role_never_succeeds_beyond_its_permissions" ;;
  esac
  export BAIDA_FUZZ_ROLE="$who"
  echo "openapi fuzz as $who"
  # No state-changing phase that would log the session out mid-run (DELETE /api/v1/session).
  if ! "$venv/bin/st" run "$base/api/v1/openapi.json" "${header[@]}" \
      --checks "$run_checks" --max-examples "$examples" --workers 1 --seed 1 \
      --phases examples,coverage,fuzzing --exclude-path /api/v1/session --exclude-path '/api/v1/inbox/{recipient}/stream' --request-timeout 20 \
      --no-color >"$work/st-$who.log" 2>&1; then
    status=1
    grep -E -A6 "^_{5,}|ERRORS" "$work/st-$who.log" | head -80
  fi
  tail -n 4 "$work/st-$who.log"
done
if grep -qE "panicked|internal error" "$work/baida.log"; then
  echo "openapi fuzz: the server logged a panic or an internal error:"; grep -E "panicked|internal error" "$work/baida.log" | head
  status=1
fi
exit $status
