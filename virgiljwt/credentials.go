package virgiljwt

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/caddyserver/caddy/v2"

	"github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt/jwt"
)

// developmentIDPrefix marks the App ID and App Key ID of a development key,
// so that a token signed with one is recognizable at a glance.
const developmentIDPrefix = "dev-"

// credentials are the expanded App ID, App Key ID and imported App Key.
type credentials struct {
	appID    string
	appKeyID string
	appKey   ed25519.PrivateKey

	// development reports whether the App Key was generated at startup.
	development bool
}

// errDevelopmentKeyConflict is returned when development_key is combined
// with configured credentials, which would leave unclear which key signs.
var errDevelopmentKeyConflict = errors.New("development_key cannot be combined with app_id, app_key_id or app_key: remove either development_key or the credentials")

// loadCredentials expands the configured credentials with a fresh replacer,
// imports the App Key and rejects key material in the App ID and App Key
// ID, or generates a development key. Its errors name the setting and the
// cause, but never contain the expanded values.
func (h *Handler) loadCredentials() (credentials, error) {
	if h.DevelopmentKey {
		if h.AppID != "" || h.AppKeyID != "" || h.AppKey != "" {
			return credentials{}, errDevelopmentKeyConflict
		}
		return newDevelopmentCredentials(), nil
	}

	// A fresh replacer has the global placeholders such as {env.*} and
	// {file.*}, but none of a request.
	repl := caddy.NewReplacer()

	appID, err := expandSetting(repl, "app_id", h.AppID)
	if err != nil {
		return credentials{}, err
	}
	appKeyID, err := expandSetting(repl, "app_key_id", h.AppKeyID)
	if err != nil {
		return credentials{}, err
	}
	appKeyText, err := expandSetting(repl, "app_key", h.AppKey)
	if err != nil {
		return credentials{}, err
	}

	// The errors of ParsePrivateKey contain no key material. It derives
	// the public half from the seed, so jwt.Signer.Validate, which checks
	// that the halves match, would find nothing here.
	appKey, err := jwt.ParsePrivateKey([]byte(appKeyText))
	if err != nil {
		return credentials{}, fmt.Errorf("app_key: %w", err)
	}

	err = checkCredentialID("app_id", "the App ID, 32 or 64 hexadecimal characters", appID, appKey)
	if err != nil {
		return credentials{}, err
	}
	err = checkCredentialID("app_key_id", "the App Key ID, 32 or 128 hexadecimal characters", appKeyID, appKey)
	if err != nil {
		return credentials{}, err
	}

	return credentials{appID: appID, appKeyID: appKeyID, appKey: appKey}, nil
}

// expandSetting expands the placeholders in the value of the setting name
// and trims surrounding whitespace. A missing value, an unknown or empty
// placeholder, or a result that is empty or not valid UTF-8 is an error.
func expandSetting(repl *caddy.Replacer, name, value string) (string, error) {
	if value == "" {
		return "", fmt.Errorf("%s is missing: set it, or set development_key to try the handler without a Virgil account", name)
	}

	// The errors of ReplaceOrErr name the placeholder, not its value.
	expanded, err := repl.ReplaceOrErr(value, true, true)
	if err != nil {
		return "", fmt.Errorf("%s: expanding placeholders: %v", name, err)
	}
	expanded = strings.TrimSpace(expanded)
	if expanded == "" {
		return "", fmt.Errorf("%s: value is empty after expanding placeholders", name)
	}
	if !utf8.ValidString(expanded) {
		return "", fmt.Errorf("%s: value is not valid UTF-8", name)
	}
	return expanded, nil
}

// newDevelopmentCredentials generates a throwaway Ed25519 App Key with a
// random App ID and App Key ID.
func newDevelopmentCredentials() credentials {
	// GenerateKey with a nil reader uses crypto/rand, which does not fail.
	_, appKey, _ := ed25519.GenerateKey(nil)
	return credentials{
		appID:       developmentIDPrefix + randomHex(16),
		appKeyID:    developmentIDPrefix + randomHex(16),
		appKey:      appKey,
		development: true,
	}
}

// randomHex returns n random bytes in hexadecimal.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never returns an error, see crypto/rand.Read
	return hex.EncodeToString(b)
}

// isVirgilID reports whether s has the form of a Virgil ID: lowercase or
// uppercase hexadecimal with one of the given lengths.
func isVirgilID(s string, lengths ...int) bool {
	lengthOK := false
	for _, n := range lengths {
		if len(s) == n {
			lengthOK = true
			break
		}
	}
	if !lengthOK {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// Lengths in hexadecimal characters of the IDs that Virgil issues. The
// handler only warns about other lengths, because it signs tokens with any
// ID and only Virgil's service can tell whether an ID is real.
var (
	appIDLengths    = []int{32, 64}
	appKeyIDLengths = []int{32, 128}
)
