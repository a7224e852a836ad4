#!/usr/bin/env bash
# Builds the Caddy binary that the example tests run: Caddy with the
# standard modules, virgil_jwt from this checkout, caddy-security and
# caddy-ratelimit.
#
# Usage: examples/build-caddy.sh OUTPUT
#
# The build is skipped when OUTPUT exists and is newer than every Go source,
# go.mod, go.sum and this script, so running it again is cheap.
# Then run the tests with
#
#	VIRGILJWT_EXAMPLES_CADDY=OUTPUT go test ./examples/
set -euo pipefail

caddy_version=v2.11.9
xcaddy_version=v0.4.5
caddy_security=github.com/greenpau/caddy-security@v1.1.31
caddy_ratelimit=github.com/mholt/caddy-ratelimit@v0.1.0
module=github.com/seed77c445a5/caddy-virgil-jwt

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTPUT" >&2
	exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
output=$1
case $output in
/*) ;;
*) output=$PWD/$output ;;
esac

if [ -x "$output" ]; then
	newer=$(find "$root" -name node_modules -prune -o \
		\( -name '*.go' -o -name go.mod -o -name go.sum -o -name build-caddy.sh \) \
		-newer "$output" -print -quit)
	if [ -z "$newer" ]; then
		echo "$output is up to date"
		exit 0
	fi
fi

gobin=$(go env GOPATH)/bin
if ! "$gobin/xcaddy" version 2>/dev/null | grep -q "$xcaddy_version"; then
	go install "github.com/caddyserver/xcaddy/cmd/xcaddy@$xcaddy_version"
fi

# The zero pseudo-version pins this module to the local checkout. Without a
# version, xcaddy runs `go get` on the module path and the Go module proxy
# is asked for versions of a module it may not serve.
CGO_ENABLED=0 "$gobin/xcaddy" build "$caddy_version" \
	--output "$output" \
	--with "$module@v0.0.0-00010101000000-000000000000=$root" \
	--with "$caddy_security" \
	--with "$caddy_ratelimit"

modules=$("$output" list-modules)
for id in http.handlers.virgil_jwt http.authentication.providers.authorizer http.handlers.rate_limit; do
	if ! grep -qx "$id" <<<"$modules"; then
		echo "module $id missing from $output" >&2
		exit 1
	fi
done
echo "built $output"
