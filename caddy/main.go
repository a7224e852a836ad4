// Command caddy is Caddy with its standard modules and the virgil_jwt
// handler, which mints Virgil access tokens for authenticated users.
//
// Build it from the repository root with:
//
//	go build -o caddy ./caddy
package main

import (
	_ "time/tzdata"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt"
)

func main() {
	caddycmd.Main()
}
