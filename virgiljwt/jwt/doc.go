// Package jwt mints, parses and verifies Virgil Security access tokens
// (Virgil JWTs) with Go's standard crypto only, and imports App Keys.
//
// A Virgil JWT is three base64url parts without padding, joined by dots:
//
//   - a header: alg "VEDS512", kid the App Key ID, typ "JWT",
//     cty "virgil-jwt;v=1";
//   - a body: iss "virgil-" + App ID, sub "identity-" + identity, iat and exp
//     in Unix seconds, and an optional ada object of additional data;
//   - a signature: Ed25519 over the SHA-512 digest of the ASCII text
//     base64url(header) + "." + base64url(body), wrapped in the DER structure
//     SEQUENCE { SEQUENCE { OID 2.16.840.1.101.3.4.2.3, NULL }, OCTET STRING }.
//
// [Signer] mints tokens, [Verifier] parses and verifies them, and
// [ParsePrivateKey] and [ParsePublicKey] import keys in the forms users
// hold them.
//
// The package has no cgo and no Caddy imports, so it builds for every
// platform Go supports and can be used outside Caddy.
package jwt
