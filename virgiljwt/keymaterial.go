package virgiljwt

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2"

	"github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt/jwt"
)

// pkcs8Ed25519Prefix is the base64 of the 16-byte DER header that starts
// every Ed25519 private key in PKCS#8 form, such as Virgil's App Keys. Its
// 21 characters are the same in the standard and the URL-safe alphabet,
// and a value that contains them contains at least the start of a key.
const pkcs8Ed25519Prefix = "MC4CAQAwBQYDK2VwBCIEI"

// describePrivateKey returns what private key material value contains,
// such as "the App Key", or "" if it finds none. appKey may be nil. The
// result never contains a part of value, so it is safe for errors.
func describePrivateKey(value string, appKey ed25519.PrivateKey) string {
	if appKey != nil && containsAppKey(value, appKey) {
		return "the App Key"
	}
	if _, err := jwt.ParsePrivateKey([]byte(value)); err == nil {
		return "a private key"
	}
	if strings.Contains(value, "PRIVATE KEY-----") {
		return "a PEM private key"
	}
	if strings.Contains(value, pkcs8Ed25519Prefix) {
		return "the start of an Ed25519 private key"
	}
	return ""
}

// containsAppKey reports whether value contains appKey as base64 of its
// PKCS#8 DER, or its seed or 64-byte private key as hexadecimal or base64.
// Both base64 alphabets count, with or without padding, and hexadecimal in
// either case.
func containsAppKey(value string, appKey ed25519.PrivateKey) bool {
	// MarshalPKCS8PrivateKey does not fail for an Ed25519 key.
	der, _ := x509.MarshalPKCS8PrivateKey(appKey)
	seed := appKey.Seed()

	var encodings []string
	for _, raw := range [][]byte{der, seed, appKey} {
		encodings = append(encodings,
			base64.RawStdEncoding.EncodeToString(raw),
			base64.RawURLEncoding.EncodeToString(raw))
	}
	for _, encoded := range encodings {
		if strings.Contains(value, encoded) {
			return true
		}
	}

	// The hexadecimal 64-byte key starts with the hexadecimal seed.
	return strings.Contains(strings.ToLower(value), hex.EncodeToString(seed))
}

// checkCredentialID returns an error if the expanded value of app_id or
// app_key_id contains key material. Every token carries both in clear text, so
// a key in either would reach every client. expected describes the
// correct value for the error message.
func checkCredentialID(name, expected, value string, appKey ed25519.PrivateKey) error {
	kind := describePrivateKey(value, appKey)
	if kind == "" {
		if _, err := jwt.ParsePublicKey([]byte(value)); err == nil {
			kind = "a public key"
		} else if strings.Contains(value, "-----BEGIN ") {
			kind = "a PEM block"
		}
	}
	if kind == "" {
		return nil
	}
	return fmt.Errorf("%s: value contains %s, but every token carries %s in clear text: set it to %s", name, kind, name, expected)
}

// checkAdditionalDataKeys expands each additional_data value once with a
// fresh replacer and returns an error if one contains private key
// material, because every client can read a token's additional data.
//
// A fresh replacer expands only global placeholders such as {env.*} and
// {file.*}, so request placeholders expand to nothing here. A key that
// arrives through a request placeholder is not caught.
func (h *Handler) checkAdditionalDataKeys(appKey ed25519.PrivateKey) error {
	repl := caddy.NewReplacer()
	for _, name := range slices.Sorted(maps.Keys(h.AdditionalData)) {
		value := repl.ReplaceAll(h.AdditionalData[name], "")
		if kind := describePrivateKey(value, appKey); kind != "" {
			return fmt.Errorf("additional_data: value of %q contains %s, but every client can read a token's additional data: remove it from additional_data", name, kind)
		}
	}
	return nil
}
