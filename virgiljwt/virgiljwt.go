package virgiljwt

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt/jwt"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Defaults of the optional fields.
const (
	DefaultIdentity   = "{http.auth.user.id}"
	DefaultTTL        = 20 * time.Minute
	DefaultTokenField = "virgilToken"
)

// Handler mints Virgil access tokens (Virgil JWTs) for users that an
// authentication handler earlier in the route has already authenticated.
// Apps built on Virgil's E3Kit fetch such a token from their backend before
// they talk to Virgil's service.
//
// The handler reads the identity from a placeholder, by default
// `{http.auth.user.id}`, which the `authentication` handler (basic_auth or
// an auth plugin) sets. Behind forward_auth, use the request header that
// it copies from the auth response, such as
// `{http.request.header.X-User-Id}`. The handler signs a token for the
// identity with the App Key and responds with status 200,
// `Content-Type: application/json`, `Cache-Control: no-store` and the body
// `{"virgilToken":"<token>"}`. It is terminal: on success it does not call
// the next handler.
//
// Errors go to the server's error handling, so `handle_errors` can shape
// them. The statuses are:
//
//   - 401 when the identity placeholder is unknown, empty or whitespace
//     only;
//   - 400 when the identity or an additional data value is not valid UTF-8;
//   - 405 with `Allow: GET, POST` for methods other than GET and POST;
//   - 500 when signing fails.
type Handler struct {
	// The App ID of the Virgil application, as shown in the Virgil
	// dashboard: 32 or 64 hexadecimal characters. A value of another form
	// logs a warning at startup. Placeholders such as `{env.*}` and
	// `{file.*}` are expanded once, when the handler is provisioned, and
	// surrounding whitespace is ignored. Every token carries the App ID in
	// clear text, so a value that contains key material, such as the App
	// Key, stops Caddy at startup. Required unless `development_key` is
	// set.
	AppID string `json:"app_id,omitempty"`

	// The ID of the App Key: 32 or 128 hexadecimal characters. A value of
	// another form logs a warning at startup. It goes into the `kid`
	// header of every token. Placeholders are expanded once at
	// provisioning, and surrounding whitespace is ignored. Like
	// `app_id`, a value that contains key material stops Caddy at startup.
	// Required unless `development_key` is set.
	AppKeyID string `json:"app_key_id,omitempty"`

	// The App Key that signs the tokens: the Ed25519 private key Virgil
	// issues, as base64 of PKCS#8 DER (`MC4CAQAwBQYDK2VwBCIEI...`), or PEM.
	// Use a placeholder such as `{env.VIRGIL_APP_KEY}` or
	// `{file./run/secrets/virgil_app_key}` rather than the key itself.
	// Placeholders are expanded once at provisioning, and surrounding
	// whitespace is ignored. A value that expands to nothing stops Caddy
	// at startup. A value without placeholders logs a warning, because
	// `caddy adapt`, the admin API, autosave.json and Caddy's Debug log
	// output the config with the key in it. Required unless
	// `development_key` is set.
	AppKey string `json:"app_key,omitempty"`

	// The identity to mint the token for, usually a single placeholder
	// that an authentication handler sets. It is expanded for every
	// request, and the request is rejected with 401 when any placeholder
	// in it is unknown or empty, or when the result is whitespace only.
	// The identity should be a stable ID that is not personal data, so
	// not an e-mail address. Default: `{http.auth.user.id}`.
	Identity string `json:"identity,omitempty"`

	// How long a token stays valid after it is minted, in whole seconds.
	// It must be longer than 5s, because Virgil's JavaScript SDK fetches a
	// new token once the cached one expires within 5 seconds. Lifetimes over
	// 24h log a warning at startup. Default: 20m.
	TTL caddy.Duration `json:"ttl,omitempty"`

	// Additional data to put into the token's `ada` claim, as name and
	// value. Values may contain placeholders, which are expanded for every
	// request. Unknown and empty placeholders expand to an empty string.
	// Names must not be empty. Tokens carry the values in clear text, so
	// values with `{env.*}` or `{file.*}` placeholders log a warning, and
	// a value that contains a private key when expanded at startup stops
	// Caddy.
	AdditionalData map[string]string `json:"additional_data,omitempty"`

	// The name of the JSON field that carries the token in the response
	// body. Placeholders are not expanded. Default: `virgilToken`.
	TokenField string `json:"token_field,omitempty"`

	// Sign with a throwaway App Key generated at startup, for trying the
	// handler on a machine without a Virgil account. The App ID and App
	// Key ID are random and start with "dev-", and the App public key is
	// logged so that tokens can be verified locally. Virgil's service
	// rejects these tokens. It cannot be combined with `app_id`,
	// `app_key_id` or `app_key`.
	DevelopmentKey bool `json:"development_key,omitempty"`

	// Include the identity in the Debug log line of every minted token.
	// Off by default, because identities may be personal data.
	LogIdentity bool `json:"log_identity,omitempty"`

	signer      jwt.Signer
	publicKey   ed25519.PublicKey
	replyPrefix []byte
	logger      *zap.Logger

	// now replaces time.Now in tests.
	now func() time.Time
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.virgil_jwt",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision sets the defaults, checks the settings, expands and imports
// the credentials or generates a development key, and logs warnings for
// risky settings.
func (h *Handler) Provision(ctx caddy.Context) error {
	return h.provision(ctx.Logger())
}

// provision is Provision with the logger passed in, so that tests can
// observe the log lines.
func (h *Handler) provision(logger *zap.Logger) error {
	h.logger = logger

	if h.Identity == "" {
		h.Identity = DefaultIdentity
	}
	if h.TTL == 0 {
		h.TTL = caddy.Duration(DefaultTTL)
	}
	if h.TokenField == "" {
		h.TokenField = DefaultTokenField
	}

	// Validate runs here as well as after Provision, so that a setting it
	// rejects stops provisioning before the ready line is logged.
	if err := h.Validate(); err != nil {
		return err
	}

	creds, err := h.loadCredentials()
	if err != nil {
		return err
	}
	if err := h.checkAdditionalDataKeys(creds.appKey); err != nil {
		return err
	}
	h.signer = jwt.Signer{
		AppID:    creds.appID,
		AppKeyID: creds.appKeyID,
		AppKey:   creds.appKey,
		TTL:      time.Duration(h.TTL),
		Now:      h.now,
	}
	h.publicKey = creds.appKey.Public().(ed25519.PublicKey)

	h.replyPrefix, err = replyPrefix(h.TokenField)
	if err != nil {
		return fmt.Errorf("token_field: %v", err)
	}

	h.warnRiskySettings(creds)
	h.logReady(creds)
	return nil
}

// Validate checks the settings that do not depend on the credentials. It
// changes nothing, so Provision calls it too.
func (h *Handler) Validate() error {
	if err := checkTTL(time.Duration(h.TTL)); err != nil {
		return fmt.Errorf("ttl: %v", err)
	}
	if err := checkIdentityTemplate(h.Identity); err != nil {
		return fmt.Errorf("identity: %v", err)
	}
	if err := checkAdditionalData(h.AdditionalData); err != nil {
		return fmt.Errorf("additional_data: %v", err)
	}
	return nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	// HEAD gets 405 as well. A HEAD response would have to carry the
	// Content-Length of a freshly minted token, so the handler would sign
	// a token only to discard it.
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		return caddyhttp.Error(http.StatusMethodNotAllowed, errMethod)
	}

	// Failures are returned and not logged here, because Caddy's server
	// logs every handler error, at Debug for 4xx and at Error for 5xx.
	// When a handle_errors route handles the error, Caddy logs it at Debug.
	repl := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	identity, err := h.identityFor(repl)
	if err != nil {
		return err
	}
	additionalData, err := h.additionalDataFor(repl)
	if err != nil {
		return err
	}
	token, err := h.signer.Mint(identity, additionalData)
	if err != nil {
		// Mint's errors start with "minting token", so they are not wrapped
		// again here.
		return caddyhttp.Error(mintErrorStatus(err), err)
	}

	h.logMinted(identity)

	body := make([]byte, 0, len(h.replyPrefix)+len(token)+2)
	body = append(body, h.replyPrefix...)
	body = append(body, token...)
	body = append(body, `"}`...)

	header := w.Header()
	header.Set("Content-Type", "application/json")
	header.Set("Cache-Control", "no-store")
	header.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

// mintErrorStatus returns the status for an error of Signer.Mint: 400 for
// an identity or additional data value the request brought in, and 500
// for everything else, which is a fault of the configuration or of ours.
func mintErrorStatus(err error) int {
	if errors.Is(err, jwt.ErrIdentity) || errors.Is(err, jwt.ErrAdditionalData) {
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// logMinted writes the Debug line for a minted token. It never contains
// the token, and the identity only when log_identity is on.
func (h *Handler) logMinted(identity string) {
	c := h.logger.Check(zapcore.DebugLevel, "minted Virgil token")
	if c == nil {
		return
	}
	fields := []zap.Field{zap.String("ttl", time.Duration(h.TTL).String())}
	if h.LogIdentity {
		fields = append(fields, zap.String("identity", identity))
	}
	c.Write(fields...)
}

// errMethod is returned for requests other than GET and POST.
var errMethod = errors.New("method not allowed: the virgil_jwt handler mints tokens for GET and POST")

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
	_ caddyfile.Unmarshaler       = (*Handler)(nil)
)
