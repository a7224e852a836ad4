package jwt

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Values fixed by the Virgil JWT format.
const (
	Algorithm     = "VEDS512"
	Type          = "JWT"
	ContentType   = "virgil-jwt;v=1"
	IssuerPrefix  = "virgil-"
	SubjectPrefix = "identity-"
)

// Header is the JOSE header of a Virgil JWT. The field order matches the
// one Virgil's JavaScript SDK writes.
type Header struct {
	Algorithm   string `json:"alg"`
	KeyID       string `json:"kid"`
	Type        string `json:"typ"`
	ContentType string `json:"cty"`
}

// Claims is the body of a Virgil JWT.
type Claims struct {
	Issuer         string         `json:"iss"`
	Subject        string         `json:"sub"`
	IssuedAt       int64          `json:"iat"`
	ExpiresAt      int64          `json:"exp"`
	AdditionalData map[string]any `json:"ada,omitempty"`
}

// Signer mints tokens signed with one App Key. Its fields must not change
// while Mint may be running; Mint itself is safe for concurrent use.
type Signer struct {
	// AppID is Virgil's ID of the application, put in iss after "virgil-".
	AppID string

	// AppKeyID is the ID of AppKey, put in the kid header field.
	AppKeyID string

	// AppKey is the App Key that signs the tokens.
	AppKey ed25519.PrivateKey

	// TTL is how long a token stays valid after it is minted. It is
	// counted in whole seconds, and must be at least one second.
	TTL time.Duration

	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
}

// Mint returns a token for identity, valid from now for s.TTL, with the
// given additional data (nil or empty for none).
//
// Identity must be valid UTF-8 and must not be empty or whitespace only;
// otherwise Mint returns an error wrapping [ErrIdentity].
func (s *Signer) Mint(identity string, additionalData map[string]string) (string, error) {
	if err := checkIdentity(identity); err != nil {
		return "", err
	}
	if len(s.AppKey) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("minting token: %w: App Key is not an Ed25519 private key", ErrKey)
	}
	lifetime := int64(s.TTL / time.Second)
	if lifetime < 1 {
		return "", fmt.Errorf("minting token: lifetime %v is shorter than one second", s.TTL)
	}

	claims := Claims{
		Issuer:   IssuerPrefix + s.AppID,
		Subject:  SubjectPrefix + identity,
		IssuedAt: s.now().Unix(),
	}
	claims.ExpiresAt = claims.IssuedAt + lifetime
	if len(additionalData) > 0 {
		claims.AdditionalData = make(map[string]any, len(additionalData))
		for name, value := range additionalData {
			if name == "" || !utf8.ValidString(name) || !utf8.ValidString(value) {
				return "", fmt.Errorf("minting token: %w: names must be non-empty and names and values valid UTF-8", ErrAdditionalData)
			}
			claims.AdditionalData[name] = value
		}
	}
	header := Header{
		Algorithm:   Algorithm,
		KeyID:       s.AppKeyID,
		Type:        Type,
		ContentType: ContentType,
	}
	if !utf8.ValidString(s.AppID) || !utf8.ValidString(s.AppKeyID) {
		return "", errors.New("minting token: App ID and App Key ID must be valid UTF-8")
	}

	headerJSON, err := marshalASCII(header)
	if err != nil {
		return "", fmt.Errorf("encoding token header: %v", err)
	}
	claimsJSON, err := marshalASCII(claims)
	if err != nil {
		return "", fmt.Errorf("encoding token body: %v", err)
	}

	var b strings.Builder
	encoding := base64.RawURLEncoding
	sigLen := encoding.EncodedLen(len(signaturePrefix) + ed25519.SignatureSize)
	b.Grow(encoding.EncodedLen(len(headerJSON)) + encoding.EncodedLen(len(claimsJSON)) + sigLen + 2)
	b.WriteString(encoding.EncodeToString(headerJSON))
	b.WriteByte('.')
	b.WriteString(encoding.EncodeToString(claimsJSON))
	signature := sign(s.AppKey, b.String())
	b.WriteByte('.')
	b.WriteString(encoding.EncodeToString(signature))
	return b.String(), nil
}

func (s *Signer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// checkIdentity rejects the identities that no Virgil SDK mints for, and
// invalid UTF-8, which a JSON encoder would silently replace with U+FFFD
// and so sign a token for a different identity.
func checkIdentity(identity string) error {
	if strings.TrimSpace(identity) == "" {
		return fmt.Errorf("%w: identity is empty or whitespace only", ErrIdentity)
	}
	if !utf8.ValidString(identity) {
		return fmt.Errorf("%w: identity is not valid UTF-8", ErrIdentity)
	}
	return nil
}

// marshalASCII encodes v as JSON with every non-ASCII character escaped as
// \uXXXX. Virgil's JavaScript SDK decodes the token body as Latin-1, not
// UTF-8, so raw UTF-8 bytes would read back as different characters there;
// escaped text reads back the same in every JSON decoder.
func marshalASCII(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	raw := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))

	ascii := true
	for _, c := range raw {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return raw, nil
	}

	out := make([]byte, 0, len(raw)+len(raw)/2)
	for _, r := range string(raw) {
		switch {
		case r < utf8.RuneSelf:
			out = append(out, byte(r))
		case r > 0xFFFF:
			r -= 0x10000
			out = fmt.Appendf(out, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
	}
	return out, nil
}
