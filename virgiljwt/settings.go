package virgiljwt

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/caddyserver/caddy/v2"
)

const (
	// minTTL is the lifetime at or under which the ttl setting is rejected.
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
	if ttl <= 0 {
		return fmt.Errorf("%v is not a positive duration: set a lifetime longer than %v, such as the default %v", ttl, minTTL, DefaultTTL)
	}
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
