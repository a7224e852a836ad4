// Package virgiljwt is a Caddy HTTP handler that mints Virgil access tokens
// (Virgil JWTs) for the identity an upstream authentication module set.
package virgiljwt
