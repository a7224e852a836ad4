#!/usr/bin/env bash
# Builds Caddy with virgil_jwt from this checkout, starts it on a free
# port on 127.0.0.1 and measures token requests with the Go load test in
# this directory. Each setup gets a fresh Caddy process, with admin off and
# its data and config directories in a temporary directory.
#
# Usage: scripts/loadtest/run.sh [SETUP...]
#
# Setups, all run by default:
#
#	header               handler alone, identity from a request header
#	basic_auth           basic_auth with its cache of password checks
#	basic_auth_uncached  basic_auth with bcrypt on every request
#	wrk                  header setup driven by wrk, if wrk is installed
#
# Environment: DURATION (default 10s) and CONCURRENCY (default 16) apply
# to the timed runs of header, basic_auth and wrk. UNCACHED_REQUESTS
# (default 16) is the request count of basic_auth_uncached, where each
# request costs a bcrypt check. The script exits non-zero when a run has
# a failed request, an identity mismatch or an invalid signature.
#
# The App Key below is a public test key from Virgil's cross-SDK test
# vectors. Never load-test with a production App Key.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/scripts/loadtest
duration=${DURATION:-10s}
concurrency=${CONCURRENCY:-16}
uncached_requests=${UNCACHED_REQUESTS:-16}

export VIRGIL_APP_ID=13497c3c795e3a6c32643b0a76957b70d2332080762469cdbec89d6390e6dbd7
export VIRGIL_APP_KEY_ID=8e62643674d100b8a52648475c23b8bb86a1f119e89970cc63cdccc0920df2ea2d8cb7d6b54c4a9e284b2ccf5acb22ea37efefcb6e4274c4b04ed725e4454ca1
export VIRGIL_APP_KEY=MC4CAQAwBQYDK2VwBCIEIMxSaUI1QizmMvSPyTc26YsK21clGXKEztNKZ7NtrATP
app_public_key=MCowBQYDK2VwAyEAY9J8et78SmmE4GOm7f8fdew/eQB5YxKkwZeO3Z1IBt4=

setups=("$@")
if [ ${#setups[@]} -eq 0 ]; then
	setups=(header basic_auth basic_auth_uncached wrk)
fi

work=$(mktemp -d)
caddy_pid=
cleanup() {
	stop_caddy
	rm -rf "$work"
}
trap cleanup EXIT

# start_caddy CONFIG ADAPTER starts Caddy and sets caddy_pid and port. It
# tries three ports, because another process may take a free port before
# Caddy binds it.
start_caddy() {
	local config=$1 adapter=$2 attempt
	for attempt in 1 2 3; do
		port=$("$work/loadtest" free-port)
		LOADTEST_PORT=$port "$work/caddy" run --config "$config" --adapter "$adapter" \
			>"$work/caddy.log" 2>&1 &
		caddy_pid=$!
		if wait_for_caddy; then
			return 0
		fi
		echo "Caddy did not start on port $port (attempt $attempt); its log:" >&2
		tail -n 5 "$work/caddy.log" >&2
		stop_caddy
	done
	return 1
}

# wait_for_caddy waits up to 30 seconds for Caddy's start line, and fails
# early when Caddy exits.
wait_for_caddy() {
	local i
	for i in $(seq 300); do
		if grep -q '"serving initial configuration"' "$work/caddy.log"; then
			return 0
		fi
		if ! kill -0 "$caddy_pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
	return 1
}

# print_caddy_cpu prints the CPU time that Caddy has used since it started,
# including startup and warm-up, from /proc/PID/stat (Linux only).
print_caddy_cpu() {
	local stat ticks
	if [ -r "/proc/$caddy_pid/stat" ]; then
		stat=$(sed 's/.*) //' "/proc/$caddy_pid/stat")
		ticks=$(getconf CLK_TCK)
		awk -v ticks="$ticks" '{ printf "Caddy CPU time: %.2fs user, %.2fs system\n", $12 / ticks, $13 / ticks }' <<<"$stat"
	fi
}

stop_caddy() {
	if [ -n "$caddy_pid" ]; then
		kill "$caddy_pid" 2>/dev/null || true
		wait "$caddy_pid" 2>/dev/null || true
		caddy_pid=
	fi
}

# load runs the Go load test against the running Caddy.
load() {
	"$work/loadtest" -url "http://127.0.0.1:$port/virgil-jwt" \
		-app-id "$VIRGIL_APP_ID" -app-key-id "$VIRGIL_APP_KEY_ID" \
		-app-public-key "$app_public_key" "$@"
}

# hash_passwords sets one random password for the four basic_auth users
# and exports their bcrypt hashes at `caddy hash-password`'s default cost.
# The password goes through stdin, so it never appears in a process list.
hash_passwords() {
	if [ -n "${LOADTEST_HASH_1:-}" ]; then
		return
	fi
	LOADTEST_PASSWORD=$(head -c 18 /dev/urandom | base64)
	export LOADTEST_PASSWORD
	local i
	for i in 1 2 3 4; do
		export "LOADTEST_HASH_$i=$(printf '%s\n' "$LOADTEST_PASSWORD" | "$work/caddy" hash-password)"
	done
}

run_header() {
	start_caddy "$here/header.Caddyfile" caddyfile
	load -auth header -users 1000 -concurrency "$concurrency" -duration "$duration"
	print_caddy_cpu
	stop_caddy
}

run_basic_auth() {
	hash_passwords
	start_caddy "$here/basic_auth.Caddyfile" caddyfile
	load -auth basic -users 4 -concurrency "$concurrency" -duration "$duration"
	print_caddy_cpu
	stop_caddy
}

# run_basic_auth_uncached adapts basic_auth.Caddyfile to JSON and deletes
# hash_cache, which the Caddyfile adapter always sets, so that every
# request checks the password with bcrypt. There is no warm-up, because
# nothing would be cached.
run_basic_auth_uncached() {
	if ! command -v jq >/dev/null; then
		echo "skipped: jq is not installed (Debian: apt-get install jq)"
		return
	fi
	hash_passwords

	# Port 1 is a stand-in: start_caddy_json sets the real listen address.
	LOADTEST_PORT=1 "$work/caddy" adapt --config "$here/basic_auth.Caddyfile" --adapter caddyfile |
		jq 'del(.. | .hash_cache?)' >"$work/uncached.json"
	if grep -q hash_cache "$work/uncached.json"; then
		echo "hash_cache still in the adapted config" >&2
		return 1
	fi

	start_caddy_json "$work/uncached.json"
	load -auth basic -users 4 -concurrency 2 -duration 0 -requests "$uncached_requests" -warm-up=false
	print_caddy_cpu
	stop_caddy
}

# start_caddy_json CONFIG starts Caddy with a JSON config whose listen
# address is replaced by a free port, with the same retries as start_caddy.
start_caddy_json() {
	local template=$1 attempt
	for attempt in 1 2 3; do
		port=$("$work/loadtest" free-port)
		jq --arg listen "127.0.0.1:$port" '.apps.http.servers[].listen = [$listen]' \
			"$template" >"$work/caddy.json"
		"$work/caddy" run --config "$work/caddy.json" >"$work/caddy.log" 2>&1 &
		caddy_pid=$!
		if wait_for_caddy; then
			return 0
		fi
		echo "Caddy did not start on port $port (attempt $attempt); its log:" >&2
		tail -n 5 "$work/caddy.log" >&2
		stop_caddy
	done
	return 1
}

run_wrk() {
	if ! command -v wrk >/dev/null; then
		echo "skipped: wrk is not installed (Debian: apt-get install wrk)"
		return
	fi
	start_caddy "$here/header.Caddyfile" caddyfile
	wrk --version 2>&1 | head -n 1 || true
	wrk -t 2 -c "$concurrency" -d "$duration" --latency -s "$here/identities.lua" \
		"http://127.0.0.1:$port/virgil-jwt"
	print_caddy_cpu
	stop_caddy
}

echo "== build"
cd "$root"
go build -o "$work/caddy" ./caddy
go build -o "$work/loadtest" ./scripts/loadtest

# Set after the build, because go takes its caches from HOME.
export XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config HOME=$work/home
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$HOME"

"$work/caddy" version
go version
grep -m 1 'model name' /proc/cpuinfo || true
echo "CPUs: $(nproc), load average: $(cut -d ' ' -f 1-3 /proc/loadavg)"

for setup in "${setups[@]}"; do
	echo
	echo "== $setup ($(date -u +%H:%M:%S))"
	case $setup in
	header | basic_auth | basic_auth_uncached | wrk) "run_$setup" ;;
	*)
		echo "unknown setup $setup: use header, basic_auth, basic_auth_uncached or wrk" >&2
		exit 2
		;;
	esac
done
