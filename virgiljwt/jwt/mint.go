package jwt

import (
	"crypto/ed25519"
	"encoding/base64"
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

// Header is the JOSE header of a Virgil JWT.
type Header struct {
	Algorithm   string `json:"alg"`
	KeyID       string `json:"kid"`
	Type        string `json:"typ"`
	ContentType string `json:"cty"`
}

// Claims is the body of a Virgil JWT. IssuedAt and ExpiresAt are Unix
// times in seconds. AdditionalData holds the ada claim as encoding/json
// decodes it, so values other than strings are possible in parsed tokens.
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
	// truncated to whole seconds and must be at least one second.
	TTL time.Duration

	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
}

// Mint returns a token for identity, valid from now for s.TTL, with the
// given additional data (nil or empty for none). The iat claim is the
// current time truncated to whole seconds and exp is iat plus s.TTL.
//
// Identity must be valid UTF-8 and must not be empty or whitespace only;
// otherwise Mint returns an error wrapping [ErrIdentity]. Additional data
// names must be non-empty and names and values valid UTF-8; otherwise the
// error wraps [ErrAdditionalData]. Every other identity and value, control
// characters and NUL included, reads back unchanged from the token.
func (s *Signer) Mint(identity string, additionalData map[string]string) (string, error) {
	if err := s.check(); err != nil {
		return "", fmt.Errorf("minting token: %w", err)
	}
	if err := checkIdentity(identity); err != nil {
		return "", fmt.Errorf("minting token: %w", err)
	}
	for name, value := range additionalData {
		if name == "" {
			return "", fmt.Errorf("minting token: %w: empty name", ErrAdditionalData)
		}
		if !utf8.ValidString(name) || !utf8.ValidString(value) {
			return "", fmt.Errorf("minting token: %w: name or value is not valid UTF-8", ErrAdditionalData)
		}
	}

	issuedAt := s.now().Unix()
	expiresAt := issuedAt + int64(s.TTL/time.Second)

	// The JSON is built in scratch and base64url-encoded into token.
	scratch := make([]byte, 0, 256+2*len(identity))
	header := appendHeader(scratch, s.AppKeyID)
	encoding := base64.RawURLEncoding
	token := make([]byte, 0, 2*len(header)+3*len(identity)+300)
	token = encoding.AppendEncode(token, header)
	token = append(token, '.')

	body := appendClaims(header[:0], s.AppID, identity, issuedAt, expiresAt, additionalData)
	token = encoding.AppendEncode(token, body)

	signature := sign(s.AppKey, token)
	token = append(token, '.')
	token = encoding.AppendEncode(token, signature)
	return string(token), nil
}

// Validate returns an error unless the Signer can mint tokens: App ID and
// App Key ID set and valid UTF-8, a TTL of at least one second, and an
// Ed25519 App Key whose public half matches its seed. Mint repeats all but
// the last, slower check on every call.
func (s *Signer) Validate() error {
	if err := s.check(); err != nil {
		return err
	}
	if !ed25519.NewKeyFromSeed(s.AppKey.Seed()).Equal(s.AppKey) {
		return fmt.Errorf("%w: App Key is corrupt: its public half does not match its seed", ErrKey)
	}
	return nil
}

// check returns the first problem that would make Mint fail or mint an
// unusable token.
func (s *Signer) check() error {
	switch {
	case s.AppID == "":
		return errors.New("App ID is empty")
	case !utf8.ValidString(s.AppID):
		return errors.New("App ID is not valid UTF-8")
	case s.AppKeyID == "":
		return errors.New("App Key ID is empty")
	case !utf8.ValidString(s.AppKeyID):
		return errors.New("App Key ID is not valid UTF-8")
	case len(s.AppKey) != ed25519.PrivateKeySize:
		return fmt.Errorf("%w: App Key has %d bytes, expected an Ed25519 private key of %d", ErrKey, len(s.AppKey), ed25519.PrivateKeySize)
	case s.TTL < time.Second:
		return fmt.Errorf("TTL %v is shorter than one second", s.TTL)
	}
	return nil
}

func (s *Signer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// checkIdentity rejects the identities that Virgil's SDKs refuse to mint
// for, and invalid UTF-8, which a JSON encoder would silently replace with
// U+FFFD and so sign a token for a different identity.
func checkIdentity(identity string) error {
	if strings.TrimSpace(identity) == "" {
		return fmt.Errorf("%w: identity is empty or whitespace only", ErrIdentity)
	}
	if !utf8.ValidString(identity) {
		return fmt.Errorf("%w: identity is not valid UTF-8", ErrIdentity)
	}
	return nil
}
