package jwt

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Token is a parsed Virgil JWT.
type Token struct {
	Header Header
	Claims Claims

	// Signature is the DER-wrapped signature, as it appears in the token.
	Signature []byte

	raw          string
	signingInput string
}

// Parse decodes a Virgil JWT without checking its signature or times. Use
// [Token.Verify] before trusting anything in it.
func Parse(s string) (*Token, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: %d parts, expected 3", ErrMalformed, len(parts))
	}
	tok := &Token{raw: s, signingInput: parts[0] + "." + parts[1]}
	if err := decodePart(parts[0], &tok.Header); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if err := decodePart(parts[1], &tok.Claims); err != nil {
		return nil, fmt.Errorf("%w: body: %v", ErrMalformed, err)
	}
	signature, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrMalformed, err)
	}
	tok.Signature = signature
	return tok, nil
}

func decodePart(part string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// Verify checks the header fields and the signature against the App public
// key and App Key ID. It does not check expiry: see [Token.Expired].
func (t *Token) Verify(appPublicKey ed25519.PublicKey, appKeyID string) error {
	h := t.Header
	if h.Algorithm != Algorithm || h.Type != Type || h.ContentType != ContentType {
		return fmt.Errorf("%w: alg %q, typ %q, cty %q", ErrHeader, h.Algorithm, h.Type, h.ContentType)
	}
	if h.KeyID != appKeyID {
		return fmt.Errorf("%w: kid %q, expected %q", ErrHeader, h.KeyID, appKeyID)
	}
	if !verifySignature(appPublicKey, t.signingInput, t.Signature) {
		return ErrSignature
	}
	return nil
}

// Expired reports whether the token's exp time is before now.
func (t *Token) Expired(now time.Time) bool {
	return t.Claims.ExpiresAt < now.Unix()
}

// Identity returns the identity in the sub claim, without its prefix.
func (t *Token) Identity() string {
	return strings.TrimPrefix(t.Claims.Subject, SubjectPrefix)
}

// AppID returns the App ID in the iss claim, without its prefix.
func (t *Token) AppID() string {
	return strings.TrimPrefix(t.Claims.Issuer, IssuerPrefix)
}

// String returns the token as it was parsed.
func (t *Token) String() string {
	return t.raw
}
