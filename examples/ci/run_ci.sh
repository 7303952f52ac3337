#!/usr/bin/env bash
# A complete CI fixture for a client in any language (here: Node): start uphunt-mock on a free
# port, wait until it accepts connections, run the client, check its traffic against the
# documented client invariants, stop the mock. Exit status: the client's, or verify's.
#
#   examples/ci/run_ci.sh                     # uphunt-mock on PATH (pip install, or source .venv/bin/activate)
#   UPHUNT_MOCK=.venv/bin/uphunt-mock examples/ci/run_ci.sh
#   MOCK_ARGS="--config ci/world.yaml --scenario scenarios/rate-limited.yaml" examples/ci/run_ci.sh
#
# Artifacts (the mock's JSON start line, its log, the request journal as JSON lines) are left in
# $ARTIFACTS (default: a temporary directory, printed at the end).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
mock=${UPHUNT_MOCK:-uphunt-mock}
artifacts=${ARTIFACTS:-$(mktemp -d)}
mkdir -p "$artifacts"
mock_pid=

stop_mock() {
  # SIGTERM (or SIGINT) stops the mock gracefully at any moment, start-up included: exit 0.
  if [ -n "$mock_pid" ] && kill -0 "$mock_pid" 2>/dev/null; then
    kill -TERM "$mock_pid"
    wait "$mock_pid" || echo "mock exited with $?" >&2
  fi
  echo "artifacts: $artifacts"
}
trap stop_mock EXIT

# 1. Start on port 0 (a free port). --json prints one line once the server accepts connections;
#    --url-file writes the URL there at the same moment (whichever is easier to wait for).
# shellcheck disable=SC2086  # MOCK_ARGS is a list of flags
"$mock" serve --port 0 --clock manual --json --url-file "$artifacts/mock.url" \
  --journal-file "$artifacts/journal.jsonl" ${MOCK_ARGS:-} >"$artifacts/mock.json" 2>"$artifacts/mock.log" &
mock_pid=$!

# 2. Wait for it, bounded; fail at once if it died (e.g. a bad world file: see mock.log).
for _ in $(seq 300); do
  [ -s "$artifacts/mock.url" ] && break
  kill -0 "$mock_pid" 2>/dev/null || { echo "uphunt-mock did not start:" >&2; cat "$artifacts/mock.log" >&2; exit 2; }
  sleep 0.1
done
[ -s "$artifacts/mock.url" ] || { echo "uphunt-mock not ready after 30 s" >&2; exit 2; }
base_url=$(cat "$artifacts/mock.url")
api_key=$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' "$artifacts/mock.json")
curl -fsS "$base_url/_mock/health" >/dev/null

# 3. The client under test. On the manual clock its waits advance the mock's clock (POST
#    /_mock/clock/advance) instead of sleeping: the run takes no real time and is exact.
UPHUNT_BASE_URL=$base_url UPHUNT_API_KEY=$api_key UPHUNT_MOCK_CONTROL=$base_url \
  node "$here/apply_and_poll.mjs"

# 4. The same invariants the Python helpers check (no duplicate applies, Retry-After respected,
#    polling every 5 s then 15 s, retries with backoff, terminal states not retried).
#    The JUnit file is for the CI server's test report; the exit status fails the job.
"$mock" verify --base-url "$base_url" --format junit --output "$artifacts/verify.xml" 2>/dev/null || true
"$mock" verify --base-url "$base_url"
