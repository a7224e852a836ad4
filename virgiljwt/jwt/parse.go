package jwt

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// Token is a parsed Virgil JWT. Nothing in it is trustworthy until
// [Token.Verify] or [Verifier.Verify] has returned without error.
type Token struct {
	Header Header
	Claims Claims

	// Signature is the DER-wrapped signature, as it appears in the token.
	Signature []byte

	raw          string
	signingInput string
}

// segmentEncoding decodes token segments. Strict rejects encodings with
// nonzero trailing bits, so each byte string has exactly one text form.
var segmentEncoding = base64.RawURLEncoding.Strict()

// Parse decodes a Virgil JWT without checking its signature or times. Use
// [Token.Verify] or [Verifier] before trusting anything in it.
//
// Parse is strict where a lax reading could differ from Virgil's SDKs. The
// header and body must be JSON objects without duplicate names. The header
// fields alg, kid, typ and cty must be strings. The claims iss and sub must
// be strings that start with "virgil-" and "identity-", and iat and exp
// must be integers. Names that differ from one of these only in case are
// rejected. Errors wrap [ErrMalformed].
func Parse(s string) (*Token, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: %d parts, expected 3 separated by dots", ErrMalformed, len(parts))
	}
	tok := &Token{raw: s, signingInput: s[:len(parts[0])+1+len(parts[1])]}

	headerJSON, err := decodeSegment(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if tok.Header, err = parseHeader(headerJSON); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrMalformed, err)
	}

	claimsJSON, err := decodeSegment(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w: body: %v", ErrMalformed, err)
	}
	if tok.Claims, err = parseClaims(claimsJSON); err != nil {
		return nil, fmt.Errorf("%w: body: %w", ErrMalformed, err)
	}

	if tok.Signature, err = decodeBase64URL(parts[2]); err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrMalformed, err)
	}
	return tok, nil
}

// decodeBase64URL decodes base64url without padding. Unlike the encoding
// package it also rejects line breaks, so a token has a single text form.
func decodeBase64URL(segment string) ([]byte, error) {
	if strings.ContainsAny(segment, "\r\n") {
		return nil, fmt.Errorf("line break in base64url")
	}
	return segmentEncoding.DecodeString(segment)
}

// decodeSegment decodes a header or body segment to JSON text in UTF-8.
func decodeSegment(segment string) ([]byte, error) {
	raw, err := decodeBase64URL(segment)
	if err != nil {
		return nil, err
	}
	return jsonText(raw), nil
}

// parseHeader decodes the header fields. Their values are checked by
// [Token.Verify], which reports them as [ErrHeader].
func parseHeader(text []byte) (Header, error) {
	fields, err := decodeObject(text, "alg", "kid", "typ", "cty")
	if err != nil {
		return Header{}, err
	}

	var h Header
	targets := []struct {
		name  string
		value *string
	}{
		{"alg", &h.Algorithm},
		{"kid", &h.KeyID},
		{"typ", &h.Type},
		{"cty", &h.ContentType},
	}
	for _, target := range targets {
		if *target.value, err = requiredString(fields, target.name); err != nil {
			return Header{}, err
		}
	}
	return h, nil
}

// parseClaims decodes and checks the claims of a token body.
func parseClaims(text []byte) (Claims, error) {
	fields, err := decodeObject(text, "iss", "sub", "iat", "exp", "ada")
	if err != nil {
		return Claims{}, err
	}

	var c Claims
	if c.Issuer, err = requiredString(fields, "iss"); err != nil {
		return Claims{}, err
	}
	if !strings.HasPrefix(c.Issuer, IssuerPrefix) {
		return Claims{}, fmt.Errorf("iss claim does not start with %q", IssuerPrefix)
	}
	if c.Subject, err = requiredString(fields, "sub"); err != nil {
		return Claims{}, err
	}
	identity, found := strings.CutPrefix(c.Subject, SubjectPrefix)
	if !found {
		return Claims{}, fmt.Errorf("sub claim does not start with %q", SubjectPrefix)
	}
	if err := checkIdentity(identity); err != nil {
		return Claims{}, fmt.Errorf("sub claim: %w", err)
	}
	if c.IssuedAt, err = requiredInt(fields, "iat"); err != nil {
		return Claims{}, err
	}
	if c.ExpiresAt, err = requiredInt(fields, "exp"); err != nil {
		return Claims{}, err
	}
	if c.AdditionalData, err = optionalObject(fields, "ada"); err != nil {
		return Claims{}, err
	}
	return c, nil
}
