package virgiljwt

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt/jwt"
)

// verifyReply checks the headers of a successful reply, decodes its body,
// verifies the token with the test App public key and returns it.
func verifyReply(t *testing.T, w *httptest.ResponseRecorder, field string) *jwt.Token {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, expected 200", w.Code)
	}
	if got := w.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, expected application/json", got)
	}
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, expected no-store", got)
	}

	var reply map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &reply); err != nil {
		t.Fatalf("decoding reply %q: %v", w.Body.String(), err)
	}
	if len(reply) != 1 {
		t.Errorf("reply has %d fields, expected only %q", len(reply), field)
	}
	token, ok := reply[field]
	if !ok {
		t.Fatalf("reply has no field %q", field)
	}

	verifier := jwt.Verifier{
		AppPublicKey: testPublicKey(t),
		AppKeyID:     testAppKeyID,
		Now:          func() time.Time { return testNow },
	}
	tok, err := verifier.Verify(token)
	if err != nil {
		t.Fatalf("verifying token: %v", err)
	}
	return tok
}

// expectHandlerError checks that err is a HandlerError with status and
// that nothing was written to the response.
func expectHandlerError(t *testing.T, w *httptest.ResponseRecorder, err error, status int) {
	t.Helper()
	var handlerErr caddyhttp.HandlerError
	if !errors.As(err, &handlerErr) {
		t.Fatalf("error = %v, expected a caddyhttp.HandlerError", err)
	}
	if handlerErr.StatusCode != status {
		t.Errorf("status = %d, expected %d (error: %v)", handlerErr.StatusCode, status, err)
	}
	if w.Body.Len() != 0 {
		t.Errorf("body = %q, expected nothing written on error", w.Body.String())
	}
	if got := w.Header().Get("Content-Type"); got != "" {
		t.Errorf("Content-Type = %q, expected none on error", got)
	}
}

func TestServeHTTPMintsToken(t *testing.T) {
	h := newTestHandler(t, func(h *Handler) {
		h.TTL = caddy.Duration(90 * time.Second)
		h.AdditionalData = map[string]string{
			"role":   "{http.request.header.X-Role}",
			"static": "fixed",
		}
	})

	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			r := newTokenRequest(method, map[string]string{"http.auth.user.id": "alice"})
			r.Header.Set("X-Role", "admin")

			w, err := serve(h, r)
			if err != nil {
				t.Fatalf("ServeHTTP: %v", err)
			}
			tok := verifyReply(t, w, "virgilToken")

			if got := tok.Identity(); got != "alice" {
				t.Errorf("identity = %q, expected alice", got)
			}
			if got := tok.AppID(); got != testAppID {
				t.Errorf("App ID = %q, expected %q", got, testAppID)
			}
			if got := tok.Claims.IssuedAt; got != testNow.Unix() {
				t.Errorf("iat = %d, expected %d", got, testNow.Unix())
			}
			if got := tok.Claims.ExpiresAt; got != testNow.Unix()+90 {
				t.Errorf("exp = %d, expected %d", got, testNow.Unix()+90)
			}
			expectedData := map[string]any{"role": "admin", "static": "fixed"}
			if !reflect.DeepEqual(tok.Claims.AdditionalData, expectedData) {
				t.Errorf("ada = %v, expected %v", tok.Claims.AdditionalData, expectedData)
			}
		})
	}
}

func TestServeHTTPTokenWithoutAdditionalData(t *testing.T) {
	h := newTestHandler(t, nil)
	r := newTokenRequest(http.MethodGet, map[string]string{"http.auth.user.id": "alice"})

	w, err := serve(h, r)
	if err != nil {
		t.Fatalf("ServeHTTP: %v", err)
	}
	tok := verifyReply(t, w, "virgilToken")

	if tok.Claims.AdditionalData != nil {
		t.Errorf("ada = %v, expected none", tok.Claims.AdditionalData)
	}
	if got := tok.Claims.ExpiresAt - tok.Claims.IssuedAt; got != int64(DefaultTTL/time.Second) {
		t.Errorf("lifetime = %ds, expected the default %v", got, DefaultTTL)
	}
}

func TestServeHTTPTokenField(t *testing.T) {
	tests := []struct {
		name  string
		field string
	}{
		{name: "plain", field: "jwt"},
		{name: "quote and backslash", field: `a"b\c`},
		{name: "html characters", field: "<token>&"},
		{name: "unicode", field: "токен"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler(t, func(h *Handler) { h.TokenField = tt.field })
			r := newTokenRequest(http.MethodGet, map[string]string{"http.auth.user.id": "alice"})

			w, err := serve(h, r)
			if err != nil {
				t.Fatalf("ServeHTTP: %v", err)
			}
			verifyReply(t, w, tt.field)
		})
	}
}

func TestServeHTTPIdentityTemplate(t *testing.T) {
	tests := []struct {
		name         string
		identity     string
		placeholders map[string]string
		expected     string
	}{
		{
			name:         "prefix and placeholder",
			identity:     "user-{http.auth.user.id}",
			placeholders: map[string]string{"http.auth.user.id": "42"},
			expected:     "user-42",
		},
		{
			name:     "two placeholders",
			identity: "{http.auth.user.tenant}/{http.auth.user.id}",
			placeholders: map[string]string{
				"http.auth.user.tenant": "acme",
				"http.auth.user.id":     "42",
			},
			expected: "acme/42",
		},
		{
			name:         "escaped braces stay literal",
			identity:     `\{{http.auth.user.id}\}`,
			placeholders: map[string]string{"http.auth.user.id": "42"},
			expected:     "{42}",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler(t, func(h *Handler) { h.Identity = tt.identity })
			r := newTokenRequest(http.MethodGet, tt.placeholders)

			w, err := serve(h, r)
			if err != nil {
				t.Fatalf("ServeHTTP: %v", err)
			}
			tok := verifyReply(t, w, "virgilToken")
			if got := tok.Identity(); got != tt.expected {
				t.Errorf("identity = %q, expected %q", got, tt.expected)
			}
		})
	}
}

func TestServeHTTPNoIdentity(t *testing.T) {
	tests := []struct {
		name         string
		identity     string
		placeholders map[string]string
	}{
		{name: "placeholder unset", placeholders: nil},
		{name: "empty", placeholders: map[string]string{"http.auth.user.id": ""}},
		{name: "space", placeholders: map[string]string{"http.auth.user.id": " "}},
		{name: "whitespace mix", placeholders: map[string]string{"http.auth.user.id": " \t\r\n\u00a0\u2003"}},
		{
			name:         "template with empty part",
			identity:     "user-{http.auth.user.id}",
			placeholders: map[string]string{"http.auth.user.id": ""},
		},
		{
			name:         "template with unset part",
			identity:     "user-{http.auth.user.id}",
			placeholders: nil,
		},
		{
			name:         "one of two placeholders empty",
			identity:     "{http.auth.user.tenant}/{http.auth.user.id}",
			placeholders: map[string]string{"http.auth.user.tenant": "", "http.auth.user.id": "42"},
		},
		{
			name:         "missing request header",
			identity:     "{http.request.header.X-User}",
			placeholders: nil,
		},
		{
			name:         "unknown placeholder",
			identity:     "{http.auth.user.no_such_field}",
			placeholders: map[string]string{"http.auth.user.id": "alice"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler(t, func(h *Handler) {
				if tt.identity != "" {
					h.Identity = tt.identity
				}
			})
			r := newTokenRequest(http.MethodGet, tt.placeholders)

			w, err := serve(h, r)
			expectHandlerError(t, w, err, http.StatusUnauthorized)
		})
	}
}

func TestServeHTTPInvalidUTF8(t *testing.T) {
	tests := []struct {
		name     string
		identity string
		role     string
	}{
		{name: "identity", identity: "al\xffice", role: "admin"},
		{name: "truncated rune in identity", identity: "caf\xc3", role: "admin"},
		{name: "additional data value", identity: "alice", role: "ad\xfemin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler(t, func(h *Handler) {
				h.AdditionalData = map[string]string{"role": "{http.auth.user.role}"}
			})
			r := newTokenRequest(http.MethodGet, map[string]string{
				"http.auth.user.id":   tt.identity,
				"http.auth.user.role": tt.role,
			})

			w, err := serve(h, r)
			expectHandlerError(t, w, err, http.StatusBadRequest)
			if strings.Contains(err.Error(), tt.identity) {
				t.Errorf("error %q contains the identity", err)
			}
			if strings.Contains(err.Error(), tt.role) {
				t.Errorf("error %q contains the additional data value", err)
			}
		})
	}
}

func TestServeHTTPMethodNotAllowed(t *testing.T) {
	h := newTestHandler(t, nil)
	methods := []string{
		http.MethodHead,
		http.MethodPut,
		http.MethodPatch,
		http.MethodDelete,
		http.MethodOptions,
		http.MethodTrace,
		"PROPFIND",
	}
	for _, method := range methods {
		t.Run(method, func(t *testing.T) {
			r := newTokenRequest(method, map[string]string{"http.auth.user.id": "alice"})

			w, err := serve(h, r)
			expectHandlerError(t, w, err, http.StatusMethodNotAllowed)
			if got := w.Header().Get("Allow"); got != "GET, POST" {
				t.Errorf("Allow = %q, expected %q", got, "GET, POST")
			}
		})
	}
}

// TestServeHTTPOddIdentities checks that identities come back from the
// token byte for byte, including those that JSON must escape or that
// Virgil's JavaScript SDK would decode differently without escaping.
func TestServeHTTPOddIdentities(t *testing.T) {
	identities := map[string]string{
		"accents":           "ünïcödé",
		"cjk":               "名前",
		"emoji sequence":    "👩‍💻",
		"leading space":     " alice",
		"trailing space":    "alice ",
		"quote":             `a"b`,
		"backslash":         `a\b`,
		"html":              "<script>&amp;",
		"braces":            "{not a placeholder}",
		"line separator":    "a\u2028b",
		"control character": "a\x01b",
		"newline":           "a\nb",
		"long":              strings.Repeat("x", 4096),
		"email":             "alice@example.com",
	}
	h := newTestHandler(t, nil)
	for name, identity := range identities {
		t.Run(name, func(t *testing.T) {
			r := newTokenRequest(http.MethodGet, map[string]string{"http.auth.user.id": identity})

			w, err := serve(h, r)
			if err != nil {
				t.Fatalf("ServeHTTP: %v", err)
			}
			tok := verifyReply(t, w, "virgilToken")
			if got := tok.Identity(); got != identity {
				t.Errorf("identity = %q, expected %q", got, identity)
			}
		})
	}
}

// TestServeHTTPNoDoubleExpansion checks that placeholder text inside a
// value from the client stays text. Expanding it again would let a client
// read the App Key out of the environment through its own token.
func TestServeHTTPNoDoubleExpansion(t *testing.T) {
	t.Setenv("VIRGIL_APP_KEY", testAppKey)
	const payload = "{env.VIRGIL_APP_KEY}"

	tests := []struct {
		name         string
		identity     string
		placeholders map[string]string
		header       string
	}{
		{
			name:         "auth user id",
			identity:     DefaultIdentity,
			placeholders: map[string]string{"http.auth.user.id": payload},
		},
		{
			name:     "request header",
			identity: "{http.request.header.X-User}",
			header:   payload,
		},
		{
			name:         "nested in template",
			identity:     "user-{http.auth.user.id}",
			placeholders: map[string]string{"http.auth.user.id": payload},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler(t, func(h *Handler) {
				h.Identity = tt.identity
				h.AdditionalData = map[string]string{"echo": "{http.request.header.X-Echo}"}
			})
			r := newTokenRequest(http.MethodGet, tt.placeholders)
			r.Header.Set("X-Echo", payload)
			if tt.header != "" {
				r.Header.Set("X-User", tt.header)
			}

			w, err := serve(h, r)
			if err != nil {
				t.Fatalf("ServeHTTP: %v", err)
			}
			tok := verifyReply(t, w, "virgilToken")

			if got := tok.Identity(); !strings.HasSuffix(got, payload) {
				t.Errorf("identity = %q, expected it to end in the literal %q", got, payload)
			}
			if got := tok.Claims.AdditionalData["echo"]; got != payload {
				t.Errorf("ada echo = %q, expected the literal %q", got, payload)
			}
			if strings.Contains(w.Body.String(), "MC4CAQAw") {
				t.Error("reply contains the App Key")
			}
		})
	}
}

func TestServeHTTPAdditionalDataReplaceAll(t *testing.T) {
	h := newTestHandler(t, func(h *Handler) {
		h.AdditionalData = map[string]string{
			"unknown":     "{http.auth.user.no_such_field}",
			"missing":     "{http.request.header.X-Missing}",
			"mixed":       "role:{http.request.header.X-Missing}",
			"escaped":     `\{literal\}`,
			"known":       "{http.auth.user.id}",
			"empty value": "",
		}
	})
	r := newTokenRequest(http.MethodGet, map[string]string{"http.auth.user.id": "alice"})

	w, err := serve(h, r)
	if err != nil {
		t.Fatalf("ServeHTTP: %v", err)
	}
	tok := verifyReply(t, w, "virgilToken")

	expected := map[string]any{
		"unknown":     "",
		"missing":     "",
		"mixed":       "role:",
		"escaped":     "{literal}",
		"known":       "alice",
		"empty value": "",
	}
	if !reflect.DeepEqual(tok.Claims.AdditionalData, expected) {
		t.Errorf("ada = %v, expected %v", tok.Claims.AdditionalData, expected)
	}
}

func TestServeHTTPSigningFailure(t *testing.T) {
	// A handler that skipped Provision has no App Key, which is a fault
	// of the server, not of the request.
	h := &Handler{Identity: DefaultIdentity, logger: zap.NewNop()}
	r := newTokenRequest(http.MethodGet, map[string]string{"http.auth.user.id": "alice"})

	w, err := serve(h, r)
	expectHandlerError(t, w, err, http.StatusInternalServerError)
}

func TestMintErrorStatus(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		expected int
	}{
		{name: "identity", err: jwt.ErrIdentity, expected: http.StatusBadRequest},
		{name: "wrapped identity", err: errors.Join(errors.New("minting"), jwt.ErrIdentity), expected: http.StatusBadRequest},
		{name: "additional data", err: jwt.ErrAdditionalData, expected: http.StatusBadRequest},
		{name: "key", err: jwt.ErrKey, expected: http.StatusInternalServerError},
		{name: "other", err: errors.New("lifetime too short"), expected: http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mintErrorStatus(tt.err); got != tt.expected {
				t.Errorf("mintErrorStatus(%v) = %d, expected %d", tt.err, got, tt.expected)
			}
		})
	}
}

func TestServeHTTPLogs(t *testing.T) {
	tests := []struct {
		name        string
		logIdentity bool
	}{
		{name: "identity hidden", logIdentity: false},
		{name: "identity logged", logIdentity: true},
	}
	const identity = "user-7f3a9c"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHandler()
			h.LogIdentity = tt.logIdentity
			logs, err := provisionObserved(t, h)
			if err != nil {
				t.Fatalf("provision: %v", err)
			}
			r := newTokenRequest(http.MethodGet, map[string]string{"http.auth.user.id": identity})

			w, err := serve(h, r)
			if err != nil {
				t.Fatalf("ServeHTTP: %v", err)
			}
			token := verifyReply(t, w, "virgilToken").String()

			minted := logs.FilterMessage("minted Virgil token").All()
			if len(minted) != 1 {
				t.Fatalf("%d log lines for the minted token, expected 1", len(minted))
			}
			if minted[0].Level != zap.DebugLevel {
				t.Errorf("minted token logged at %v, expected debug", minted[0].Level)
			}
			_, hasIdentity := minted[0].ContextMap()["identity"]
			if hasIdentity != tt.logIdentity {
				t.Errorf("identity field present = %v, expected %v", hasIdentity, tt.logIdentity)
			}

			for _, entry := range logs.All() {
				text := entryText(entry)
				if strings.Contains(text, token) {
					t.Errorf("log line %q contains the token", entry.Message)
				}
				if strings.Contains(text, testAppKey) {
					t.Errorf("log line %q contains the App Key", entry.Message)
				}
				if !tt.logIdentity && strings.Contains(text, identity) {
					t.Errorf("log line %q contains the identity without log_identity", entry.Message)
				}
			}
		})
	}
}

func BenchmarkServeHTTP(b *testing.B) {
	h := newTestHandler(b, func(h *Handler) {
		h.AdditionalData = map[string]string{"role": "{http.request.header.X-Role}"}
	})
	r := newTokenRequest(http.MethodGet, map[string]string{"http.auth.user.id": "alice"})
	r.Header.Set("X-Role", "admin")

	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, r, nil); err != nil {
			b.Fatal(err)
		}
	}
}
