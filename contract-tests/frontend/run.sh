#!/usr/bin/env bash
# The frontend teams' paths, proven against a live server:
#   1. Spectral lints openapi/openapi.json (spectral:oas, no error, no warning);
#   2. openapi-typescript generates types, `tsc --strict` checks a typed program
#      (no cast, no any) that runs the sign-up and reset flow with openapi-fetch;
#   3. openapi-python-client generates a package that runs the same flow;
#   4. Swagger UI in Debian's Chromium (playwright-core) lists every operation
#      and shows the server's real answers to "Try it out";
#   5. schemathesis runs every check, >= 200 generated requests per operation;
#   6. CORS in Chromium: a page served on another origin calls the sandbox with
#      its own fetch (sendsms, the code from the sandbox's inbox, register and
#      login with JSON bodies, login with a form) and reads the answers and the
#      exposed headers; the same page on an origin the sandbox does not allow
#      (http://127.0.0.2:PORT) is refused: its fetch rejects, though the server
#      answered;
#   7. the sandbox's Swagger UI in Chromium lists its operations beside the
#      API's and shows the real answers of "Try it out" on
#      POST /sandbox/clock/advance and GET /sandbox/sms.
# The server is target/debug/account-api (built if missing or stale) on a free
# loopback port with a fresh SQLite database and the demo users; steps 6 and 7
# use `account-api sandbox` from the same binary on another free loopback port
# (its own throwaway database, its default limits and origins). Both are
# stopped at the end. Installs what is missing (Chromium and a CJK font from
# Debian, npm ci, pip into .venv), quietly and only once. Artifacts
# (screenshots, schemathesis reports, server and sandbox logs) go to
# target/frontend/. Exit status 1 if any step fails.
#
# `run.sh --tools` only installs the tools and exits (CI starts it early, in
# the background, so the downloads overlap the build).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
artifacts="$root/target/frontend"
mkdir -p "$artifacts"
cd "$here"

started=$SECONDS
failed=()
say() { printf '\n== %s\n' "$*"; }
elapsed() { printf '%ds' $((SECONDS - $1)); }

# ---- tools (idempotent: each is skipped when already in place)

say "tools"
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || missing+=(fonts-wqy-microhei) # Chinese text in screenshots
if [ ${#missing[@]} -gt 0 ]; then
  echo "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.run-sh-lock 2>/dev/null)" != "$lock_sum" ]; then
  echo "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lock_sum" >node_modules/.run-sh-lock
fi
requirements_sum=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat .venv/.run-sh-requirements 2>/dev/null)" != "$requirements_sum" ]; then
  echo "pip install -r requirements.txt (into .venv)"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
  echo "$requirements_sum" >.venv/.run-sh-requirements
fi
echo "chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), node $(node --version), $(.venv/bin/schemathesis --version), openapi-python-client $(.venv/bin/openapi-python-client --version | awk '{print $NF}')"
if [ "${1:-}" = "--tools" ]; then
  exit 0
fi

# ---- the server

# Cargo's target directory (CARGO_TARGET_DIR or a config may move it).
target_dir=$(cd "$root" && cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
server="$target_dir/debug/account-api"
# The binary `cargo test` built is used as it is (rebuilding it alone can
# take minutes: other features); built only if missing or older than a source.
if [ ! -x "$server" ] || [ -n "$(cd "$root" && find src entity migration Cargo.toml Cargo.lock -newer "$server" -print -quit)" ]; then
  say "cargo build --bin account-api"
  (cd "$root" && cargo build -q --bin account-api)
fi
work=$(mktemp -d)
server_pid=
sandbox_pid=
stop_servers() {
  local pid
  for pid in $server_pid $sandbox_pid; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap stop_servers EXIT

# The base URL of the server `pid` once it logged where it listens (JSON log
# `log`) and answers /livez; empty if it stopped or did not answer in 10 s.
listening_url() { # pid, log
  local address
  for _ in $(seq 1 100); do
    address=$(sed -n 's/.*"message":"listening","address":"\(127\.0\.0\.1:[0-9]*\)".*/\1/p' "$2" | head -n1)
    if [ -n "$address" ] && curl -fsS "http://$address/livez" >/dev/null 2>&1; then
      echo "http://$address"
      return 0
    fi
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 0
}

export DATABASE_URL="sqlite://$work/account-api.db"
# schemathesis sends hundreds of codes to a few phones from one address and
# tries many wrong passwords: raise the limits it would otherwise hit (they
# answer 429, which is part of the contract but would starve the run).
raised_limits=(ACCOUNT_API_SENDS_PER_PHONE_PER_MINUTE=1000000 ACCOUNT_API_SENDS_PER_PHONE_PER_HOUR=1000000
  ACCOUNT_API_SENDS_PER_PHONE_PER_DAY=1000000 ACCOUNT_API_SENDS_PER_ADDRESS_PER_HOUR=1000000
  ACCOUNT_API_DAILY_SMS_BUDGET=1000000 ACCOUNT_API_LOGIN_MAX_FAILURES=1000000)
export "${raised_limits[@]}"
say "server: demo data, then serve on a free loopback port"
"$server" demo >"$artifacts/demo-users.txt" 2>"$artifacts/server.log"
sed -n '1,8p' "$artifacts/demo-users.txt"
"$server" --listen 127.0.0.1:0 --log-format json >>"$artifacts/server.log" 2>&1 &
server_pid=$!
base_url=$(listening_url "$server_pid" "$artifacts/server.log")
if [ -z "$base_url" ]; then
  echo "the server did not start; its log:" >&2
  tail -n 20 "$artifacts/server.log" >&2
  exit 1
fi
echo "serving $base_url (log: target/frontend/server.log)"
export ACCOUNT_API_BASE_URL="$base_url" ACCOUNT_API_DEMO_USERS=1

# The sandbox as a frontend team starts it: none of the settings above (its
# own throwaway database, production's rate limits, its default origins
# http://localhost:* and http://127.0.0.1:*), only a free port. If it does not
# start, steps 6 and 7 fail and the others run.
say "sandbox: account-api sandbox on a free loopback port"
sandbox_env=(-u DATABASE_URL -u ACCOUNT_API_CORS_ALLOWED_ORIGINS)
for setting in "${raised_limits[@]}"; do sandbox_env+=(-u "${setting%%=*}"); done
env "${sandbox_env[@]}" "$server" sandbox --listen 127.0.0.1:0 --log-format json >"$artifacts/sandbox.log" 2>&1 &
sandbox_pid=$!
sandbox_url=$(listening_url "$sandbox_pid" "$artifacts/sandbox.log")
if [ -n "$sandbox_url" ]; then
  echo "sandbox at $sandbox_url (log: target/frontend/sandbox.log)"
else
  echo "the sandbox did not start; its log:"
  tail -n 20 "$artifacts/sandbox.log"
fi

run_step() { # name, command...
  local name=$1 t=$SECONDS
  shift
  say "$name"
  if "$@"; then
    echo "-- $name: passed in $(elapsed "$t")"
  else
    echo "-- $name: FAILED in $(elapsed "$t")"
    failed+=("$name")
  fi
}

spectral() {
  npx --no-install spectral lint ../../openapi/openapi.json --ruleset .spectral.yaml --fail-severity warn
}

typescript_flow() {
  npx --no-install openapi-typescript ../../openapi/openapi.json -o typescript/generated/api.d.ts --silent &&
    npx --no-install tsc -p . &&
    # The flow type-checks on the generated types alone: no cast, no `!`, no any.
    node dist/typescript/no-casts.js typescript/flow.ts browser/*.ts &&
    node dist/typescript/flow.js
}

python_flow() {
  PATH="$here/.venv/bin:$PATH" openapi-python-client generate --path ../../openapi/openapi.json \
    --output-path python/generated/account_api_client --meta none --overwrite >"$artifacts/openapi-python-client.log" 2>&1 || {
    cat "$artifacts/openapi-python-client.log"
    return 1
  }
  # Any warning means part of the document was dropped from the client.
  if grep -qi "warning\|unable to\|cannot" "$artifacts/openapi-python-client.log"; then
    cat "$artifacts/openapi-python-client.log"
    return 1
  fi
  .venv/bin/python python/flow.py
}

swagger_ui() {
  node dist/browser/swagger.js
}

schemathesis() {
  rm -rf "$artifacts/schemathesis"
  mkdir -p "$artifacts/schemathesis"
  curl -fsS "$base_url/metrics" >"$artifacts/schemathesis/metrics-before.txt"
  .venv/bin/schemathesis run ../../openapi/openapi.json --url "$base_url" --no-color \
    --report junit,json --report-dir "$artifacts/schemathesis" || return 1
  # The server counts the requests it answered, by operation: schemathesis's
  # share is the difference. Every operation that takes input must have had
  # at least 200.
  curl -fsS "$base_url/metrics" >"$artifacts/schemathesis/metrics-after.txt"
  .venv/bin/python - "$artifacts/schemathesis" "$root/openapi/openapi.json" <<'EOF'
import collections, json, re, sys
def answered(name):
    counts = collections.Counter()
    for line in open(f"{sys.argv[1]}/{name}"):
        m = re.match(r'http_requests_total\{operation="([^"]+)",status="(\d+)"\} (\d+)', line)
        if m:
            counts[m.group(1)] += int(m.group(3))
    return counts
counts = answered("metrics-after.txt")
counts.subtract(answered("metrics-before.txt"))
document = json.load(open(sys.argv[2]))
short = []
print("requests schemathesis sent, by operation (counted by the server's /metrics):")
for methods in document["paths"].values():
    for method, operation in methods.items():
        op = operation["operationId"]
        takes_input = bool(operation.get("parameters") or operation.get("requestBody"))
        note = "" if takes_input else "   (no parameters in the document: nothing to vary)"
        print(f"  {op:<20} {counts[op]:>6}{note}")
        if takes_input and counts[op] < 200:
            short.append(op)
print(f"  {'404/405 (no route)':<20} {counts['unknown']:>6}")
print(f"  {'total':<20} {sum(counts.values()):>6}")
if short:
    print("fewer than 200 requests:", ", ".join(short))
    sys.exit(1)
EOF
}

in_sandbox() { # browser script
  if [ -z "$sandbox_url" ]; then
    echo "the sandbox did not start (target/frontend/sandbox.log)"
    return 1
  fi
  ACCOUNT_API_SANDBOX_URL="$sandbox_url" node "dist/browser/$1.js"
}

cors() {
  in_sandbox cors
}

sandbox_swagger_ui() {
  in_sandbox sandbox-swagger
}

run_step "spectral (openapi/openapi.json)" spectral
run_step "typescript: openapi-typescript + tsc --strict + openapi-fetch flow" typescript_flow
run_step "python: openapi-python-client flow" python_flow
run_step "swagger ui in chromium" swagger_ui
run_step "schemathesis (every check)" schemathesis
run_step "cors in chromium: a page on an allowed origin, then on a refused one" cors
run_step "sandbox swagger ui in chromium" sandbox_swagger_ui

say "summary ($(elapsed "$started") in all)"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "all frontend checks passed; artifacts in target/frontend/"
