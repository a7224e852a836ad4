package jwt

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"time"
)

// Verify checks the header fields and the signature against the App public
// key and App Key ID. It does not check expiry: see [Token.Expired].
//
// Errors wrap [ErrHeader] for a wrong alg, typ, cty or kid, [ErrSignature]
// for a signature that does not verify, and [ErrKey] when appPublicKey is
// not an Ed25519 public key.
func (t *Token) Verify(appPublicKey ed25519.PublicKey, appKeyID string) error {
	if len(appPublicKey) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: App public key has %d bytes, expected %d", ErrKey, len(appPublicKey), ed25519.PublicKeySize)
	}

	h := t.Header
	if h.Algorithm != Algorithm {
		return fmt.Errorf("%w: alg is %s, expected %q", ErrHeader, quoteShort(h.Algorithm), Algorithm)
	}
	if h.Type != Type {
		return fmt.Errorf("%w: typ is %s, expected %q", ErrHeader, quoteShort(h.Type), Type)
	}
	if h.ContentType != ContentType {
		return fmt.Errorf("%w: cty is %s, expected %q", ErrHeader, quoteShort(h.ContentType), ContentType)
	}
	if h.KeyID != appKeyID {
		return fmt.Errorf("%w: kid is %s, which is not the configured App Key ID", ErrHeader, quoteShort(h.KeyID))
	}

	if !verifySignature(appPublicKey, t.signingInput, t.Signature) {
		return ErrSignature
	}
	return nil
}

// Expired reports whether the token's exp time is before now, compared in
// whole Unix seconds. A token is still valid during the second named by
// exp, as in Virgil's SDKs.
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

// Verifier parses and verifies tokens signed with one App Key. Its fields
// must not change while Verify may be running; Verify itself is safe for
// concurrent use.
type Verifier struct {
	// AppPublicKey is the public half of the App Key.
	AppPublicKey ed25519.PublicKey

	// AppKeyID is the ID of the App Key, expected in the kid header field.
	AppKeyID string

	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
}

// Verify parses token and checks its header, signature and expiry.
//
// A genuine token that has expired is returned together with an error
// wrapping [ErrExpired], so callers can still read it. Any other error
// comes with a nil token and wraps [ErrMalformed], [ErrHeader],
// [ErrSignature] or [ErrKey].
func (v *Verifier) Verify(token string) (*Token, error) {
	tok, err := Parse(token)
	if err != nil {
		return nil, err
	}
	if err := tok.Verify(v.AppPublicKey, v.AppKeyID); err != nil {
		return nil, err
	}

	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if t := now(); tok.Expired(t) {
		return tok, fmt.Errorf("%w: exp %d is before %d", ErrExpired, tok.Claims.ExpiresAt, t.Unix())
	}
	return tok, nil
}

// quoteShort quotes a value taken from a token for an error message,
// cutting it short so that a crafted token cannot flood the logs.
func quoteShort(s string) string {
	const maxLen = 80
	if len(s) <= maxLen {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q (%d bytes)", s[:maxLen]+"...", len(s))
}
