package virgiljwt

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt/jwt"
)

// Test credentials from Virgil's cross-SDK compatibility vectors (STC-23).
// The App Key is public there, so it signs nothing of value.
const (
	testAppKey       = "MC4CAQAwBQYDK2VwBCIEIMxSaUI1QizmMvSPyTc26YsK21clGXKEztNKZ7NtrATP"
	testAppPublicKey = "MCowBQYDK2VwAyEAY9J8et78SmmE4GOm7f8fdew/eQB5YxKkwZeO3Z1IBt4="
	testAppKeyID     = "8e62643674d100b8a52648475c23b8bb86a1f119e89970cc63cdccc0920df2ea2d8cb7d6b54c4a9e284b2ccf5acb22ea37efefcb6e4274c4b04ed725e4454ca1"
	testAppID        = "13497c3c795e3a6c32643b0a76957b70d2332080762469cdbec89d6390e6dbd7"
)

// testNow is the fixed clock of the handlers built by testHandler.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testHandler returns an unprovisioned handler with the test credentials
// given inline and a fixed clock.
func testHandler() *Handler {
	return &Handler{
		AppID:    testAppID,
		AppKeyID: testAppKeyID,
		AppKey:   testAppKey,
		now:      func() time.Time { return testNow },
	}
}

// provisionObserved provisions and validates h with a logger that records
// every line at Debug and above.
func provisionObserved(t testing.TB, h *Handler) (*observer.ObservedLogs, error) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	if err := h.provision(zap.New(core)); err != nil {
		return logs, err
	}
	return logs, h.Validate()
}

// newTestHandler returns a provisioned test handler after applying
// configure to it, which may be nil.
func newTestHandler(t testing.TB, configure func(*Handler)) *Handler {
	t.Helper()
	h := testHandler()
	if configure != nil {
		configure(h)
	}
	if err := h.provision(zap.NewNop()); err != nil {
		t.Fatalf("provision: %v", err)
	}
	if err := h.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return h
}

// newTokenRequest returns a request that carries a replacer with the HTTP
// placeholders, as Caddy's server sets up, plus the given static
// placeholders such as "http.auth.user.id".
func newTokenRequest(method string, placeholders map[string]string) *http.Request {
	r := httptest.NewRequest(method, "https://localhost/token", nil)
	ctx := context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{})
	r = r.WithContext(ctx)
	repl := caddyhttp.NewTestReplacer(r)
	for key, value := range placeholders {
		repl.Set(key, value)
	}
	return r
}

// serve runs h on r and returns the recorder and the handler's error.
func serve(h *Handler, r *http.Request) (*httptest.ResponseRecorder, error) {
	w := httptest.NewRecorder()
	err := h.ServeHTTP(w, r, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
		panic("virgil_jwt called the next handler")
	}))
	return w, err
}

// testPublicKey imports testAppPublicKey, the independent check that
// tokens are signed with the App Key that the handler was given.
func testPublicKey(t testing.TB) ed25519.PublicKey {
	t.Helper()
	key, err := jwt.ParsePublicKey([]byte(testAppPublicKey))
	if err != nil {
		t.Fatalf("importing test App public key: %v", err)
	}
	return key
}

// entryText returns the message and all fields of a log entry as one
// string, for checks that something does not appear in the logs.
func entryText(entry observer.LoggedEntry) string {
	var b strings.Builder
	b.WriteString(entry.Message)
	for name, value := range entry.ContextMap() {
		b.WriteString(" ")
		b.WriteString(name)
		b.WriteString("=")
		b.WriteString(caddy.ToString(value))
	}
	return b.String()
}
