package virgiljwt

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// Errors of the request checks. Their text reaches Caddy's logs and the
// {http.error.message} placeholder, so it never contains an identity.
var (
	errNoIdentity        = errors.New("no identity: the identity is empty or whitespace only, so check that an authentication handler runs before virgil_jwt")
	errIdentityNotUTF8   = errors.New("invalid identity: not valid UTF-8")
	errAdditionalNotUTF8 = errors.New("invalid additional data")
)

// identityFor expands the identity setting with the request's replacer.
//
// Every placeholder in it must be known and non-empty, so a request that
// no authentication handler has vouched for gets 401, never a token for ""
// or for a partly filled template such as "user-". The replacer writes
// placeholder values without expanding them again, so a user ID that
// contains "{env.VIRGIL_APP_KEY}" stays that text.
func (h *Handler) identityFor(repl *caddy.Replacer) (string, error) {
	identity, err := repl.ReplaceOrErr(h.Identity, true, true)
	if err != nil {
		return "", caddyhttp.Error(http.StatusUnauthorized, fmt.Errorf("no identity: %v", err))
	}
	if strings.TrimSpace(identity) == "" {
		return "", caddyhttp.Error(http.StatusUnauthorized, errNoIdentity)
	}

	// Invalid UTF-8 is 400, not 401: the request did authenticate, but
	// a JSON encoder would replace the invalid bytes with U+FFFD and so
	// sign a token for a different identity. Authenticating again with the
	// same credentials would not help.
	if !utf8.ValidString(identity) {
		return "", caddyhttp.Error(http.StatusBadRequest, errIdentityNotUTF8)
	}
	return identity, nil
}

// additionalDataFor expands the additional data values with the request's
// replacer, or returns nil if none are configured.
//
// It uses ReplaceAll, so unknown and empty placeholders become empty
// strings. ReplaceKnown would leave an unknown placeholder's text in a
// signed claim, where a client could mistake it for a value.
func (h *Handler) additionalDataFor(repl *caddy.Replacer) (map[string]string, error) {
	if len(h.AdditionalData) == 0 {
		return nil, nil
	}
	data := make(map[string]string, len(h.AdditionalData))
	for name, template := range h.AdditionalData {
		value := repl.ReplaceAll(template, "")
		if !utf8.ValidString(value) {
			err := fmt.Errorf("%w: value of %q is not valid UTF-8", errAdditionalNotUTF8, name)
			return nil, caddyhttp.Error(http.StatusBadRequest, err)
		}
		data[name] = value
	}
	return data, nil
}
