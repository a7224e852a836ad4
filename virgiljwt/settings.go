package virgiljwt

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"
)

const (
	// minTTL is the lifetime at or under which tokens are rejected.
	// Virgil's CachingJwtProvider (virgil-sdk 6.2.0, TOKEN_EXPIRATION_MARGIN)
	// treats a cached token as expired once it expires within 5 seconds, so
	// a shorter-lived token would be fetched again before every call.
	minTTL = 5 * time.Second

	// longTTL is the lifetime above which Provision warns. A token cannot
	// be revoked, and E3Kit fetches a new one whenever the cached one
	// expires, so a lifetime of a day only widens the window in which a
	// leaked token works.
	longTTL = 24 * time.Hour
)

// checkTTL returns an error unless ttl is a whole number of seconds longer
// than minTTL. Tokens carry their expiry in whole seconds, so a fractional
// lifetime would be cut silently.
func checkTTL(ttl time.Duration) error {
	if ttl <= minTTL {
		return fmt.Errorf("%v is too short: it must be longer than %v, because Virgil's JavaScript SDK fetches a new token when the cached one expires within %v, which would mean a fetch before every call", ttl, minTTL, minTTL)
	}
	if ttl%time.Second != 0 {
		return fmt.Errorf("%v is not a whole number of seconds: tokens carry their expiry in seconds, so use for example %v", ttl, ttl.Truncate(time.Second))
	}
	return nil
}

// checkIdentityTemplate returns an error for an identity setting that
// could never yield a usable identity.
func checkIdentityTemplate(identity string) error {
	if !utf8.ValidString(identity) {
		return errors.New("value is not valid UTF-8")
	}
	if len(placeholderKeys(identity)) == 0 && strings.TrimSpace(identity) == "" {
		return errors.New("value is empty or whitespace only: use a placeholder such as {http.auth.user.id}")
	}
	return nil
}

// checkAdditionalData returns an error for an empty name or a name or value
// that is not valid UTF-8. Errors name the entry but never show a value.
func checkAdditionalData(data map[string]string) error {
	for name, value := range data {
		if name == "" {
			return errors.New("name must not be empty")
		}
		if !utf8.ValidString(name) {
			return fmt.Errorf("name %q is not valid UTF-8", name)
		}
		if !utf8.ValidString(value) {
			return fmt.Errorf("value of %q is not valid UTF-8", name)
		}
	}
	return nil
}

// placeholderKeys returns the keys of the placeholders in template, such
// as "http.auth.user.id" for "{http.auth.user.id}". Escaped braces do not
// count.
func placeholderKeys(template string) []string {
	var keys []string
	collect := func(key string, value any) (any, error) {
		keys = append(keys, key)
		return value, nil
	}
	_, _ = caddy.NewEmptyReplacer().ReplaceFunc(template, collect)
	return keys
}

// warnRiskySettings logs a Warn for each setting an operator should fix or
// be aware of. The lines never contain a credential's value, because a
// misplaced App Key could sit in any of them.
func (h *Handler) warnRiskySettings(creds credentials) {
	if creds.development {
		h.logger.Warn("DEVELOPMENT KEY: signing Virgil tokens with a throwaway App Key generated at startup. The tokens are for local development only, and Virgil's service rejects them. Every config load generates a new key",
			zap.String("app_id", creds.appID),
			zap.String("app_key_id", creds.appKeyID),
			zap.String("app_public_key", publicKeyBase64(creds.appKey.Public().(ed25519.PublicKey))),
		)
	} else {
		if !isVirgilID(creds.appID, appIDLengths...) {
			h.logger.Warn("app_id does not look like a Virgil App ID, which is 32 or 64 hexadecimal characters. Virgil's service rejects the tokens if the App ID is wrong",
				zap.Int("length", len(creds.appID)))
		}
		if !isVirgilID(creds.appKeyID, appKeyIDLengths...) {
			h.logger.Warn("app_key_id does not look like a Virgil App Key ID, which is 32 or 128 hexadecimal characters. Virgil's service rejects the tokens if the App Key ID is wrong",
				zap.Int("length", len(creds.appKeyID)))
		}
	}

	keys := placeholderKeys(h.Identity)
	if len(keys) == 0 {
		h.logger.Warn("identity contains no placeholder, so every user gets a token for the same identity. Use a placeholder such as {http.auth.user.id}")
	}
	for _, key := range keys {
		if strings.Contains(strings.ToLower(key), "mail") {
			h.logger.Warn("identity uses an e-mail placeholder. Virgil advises against e-mail addresses as identities, because they are personal data and can change. Use a stable user ID that is not personal data instead",
				zap.String("placeholder", "{"+key+"}"))
		}
	}

	if ttl := time.Duration(h.TTL); ttl > longTTL {
		h.logger.Warn("ttl is longer than 24h. A token cannot be revoked, so a leaked one works for its whole lifetime, while E3Kit fetches a new token by itself when the old one expires",
			zap.Duration("ttl", ttl))
	}
}

// logReady writes the Info line that the handler is ready. It identifies
// the App Key by its ID and the SHA-256 of its public key, never by the
// key itself.
func (h *Handler) logReady(creds credentials) {
	fields := []zap.Field{
		zap.String("app_public_key_sha256", publicKeyFingerprint(h.publicKey)),
		zap.Duration("ttl", time.Duration(h.TTL)),
	}
	// An App Key ID of an unexpected form may be a misplaced secret.
	if creds.development || isVirgilID(creds.appKeyID, appKeyIDLengths...) {
		fields = append(fields, zap.String("app_key_id", creds.appKeyID))
	}
	h.logger.Info("Virgil token handler ready", fields...)
}

// publicKeyBase64 returns the standard base64 of the SPKI DER of key, the
// form Virgil's dashboard shows App public keys in.
func publicKeyBase64(key ed25519.PublicKey) string {
	return base64.StdEncoding.EncodeToString(publicKeyDER(key))
}

// publicKeyFingerprint returns the lowercase hexadecimal SHA-256 digest of
// the SPKI DER of key.
func publicKeyFingerprint(key ed25519.PublicKey) string {
	digest := sha256.Sum256(publicKeyDER(key))
	return hex.EncodeToString(digest[:])
}

func publicKeyDER(key ed25519.PublicKey) []byte {
	// MarshalPKIXPublicKey fails only for key types it does not support,
	// and Ed25519 is supported.
	der, _ := x509.MarshalPKIXPublicKey(key)
	return der
}

// replyPrefix returns the start of the response body, up to the opening
// quote of the token: {"<field>":"
func replyPrefix(field string) ([]byte, error) {
	if !utf8.ValidString(field) {
		return nil, errors.New("value is not valid UTF-8")
	}
	name, err := json.Marshal(field)
	if err != nil {
		return nil, err
	}
	prefix := append([]byte{'{'}, name...)
	return append(prefix, ':', '"'), nil
}
