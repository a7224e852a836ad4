// Package caddyvirgiljwt plugs the virgil_jwt handler into Caddy. It exists
// so that xcaddy can build the module from its module path:
//
//	xcaddy build --with github.com/seed77c445a5/caddy-virgil-jwt
//
// The handler itself is in package virgiljwt, and the token format in
// package virgiljwt/jwt.
package caddyvirgiljwt

import (
	_ "github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt"
)
