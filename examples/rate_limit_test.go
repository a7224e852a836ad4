package examples_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/seed77c445a5/caddy-virgil-jwt/internal/caddyproc"
)

// rateLimitEvents is the number of tokens per minute that the rate_limit
// example allows each user.
const rateLimitEvents = 5

// startRateLimitExample starts caddyfile with the users alice and bob and
// returns a function that fetches a token as one of them.
func startRateLimitExample(t *testing.T, caddyfile string) func(user string) tokenResponse {
	t.Helper()
	binary := pluginBinary(t)
	passwords := map[string]string{"alice": "alice's password", "bob": "bob's password"}
	port := caddyproc.FreePort(t)
	env := append(credentialsEnv(),
		"SITE_ADDRESS=localhost:"+strconv.Itoa(port),
		"ALICE_PASSWORD_HASH="+hashPassword(t, binary, passwords["alice"]),
		"BOB_PASSWORD_HASH="+hashPassword(t, binary, passwords["bob"]),
	)
	p := caddyproc.Start(t, caddyfile, &caddyproc.Options{
		Binary: binary, Env: env, Secrets: []string{testAppKey, passwords["alice"], passwords["bob"]},
	})
	t.Cleanup(func() {
		p.Stop()
		assertNoSecrets(t, p, testAppKey, passwords["alice"], passwords["bob"])
	})

	client := p.Client()
	endpoint := "https://localhost:" + strconv.Itoa(port) + "/virgil-jwt"
	return func(user string) tokenResponse {
		req := newRequest(t, http.MethodGet, endpoint)
		if password, ok := passwords[user]; ok {
			req.SetBasicAuth(user, password)
		}
		return fetch(t, client, req)
	}
}

func TestRateLimitExample(t *testing.T) {
	fetchAs := startRateLimitExample(t, readCaddyfile(t, "rate_limit"))

	assertToken(t, fetchAs("alice"), "alice")
	for i := 2; i <= rateLimitEvents; i++ {
		if resp := fetchAs("alice"); resp.status != http.StatusOK || resp.token == "" {
			t.Fatalf("request %d of alice: status %d, want 200 with a token", i, resp.status)
		}
	}

	t.Run("over the limit gets 429", func(t *testing.T) {
		resp := fetchAs("alice")
		assertNoToken(t, resp, http.StatusTooManyRequests)
		if resp.header.Get("Retry-After") == "" {
			t.Error("429 without a Retry-After header")
		}
	})
	t.Run("other user unaffected", func(t *testing.T) {
		assertToken(t, fetchAs("bob"), "bob")
	})
	t.Run("no login gets 401, not 429", func(t *testing.T) {
		assertNoToken(t, fetchAs("mallory"), http.StatusUnauthorized)
	})
}

// TestRateLimitDefaultOrder shows why the example needs route: in Caddy's
// default directive order, caddy-ratelimit v0.1.0 runs before basic_auth,
// so the key {http.auth.user.id} is empty and one user's requests use up
// the limit of all others.
func TestRateLimitDefaultOrder(t *testing.T) {
	example := readCaddyfile(t, "rate_limit")
	if !strings.Contains(example, "route /virgil-jwt {") {
		t.Fatal("the rate_limit example has no route /virgil-jwt block")
	}
	fetchAs := startRateLimitExample(t, strings.Replace(example, "route /virgil-jwt {", "handle /virgil-jwt {", 1))

	for i := 1; i <= rateLimitEvents; i++ {
		if resp := fetchAs("alice"); resp.status != http.StatusOK {
			t.Fatalf("request %d of alice: status %d, want 200", i, resp.status)
		}
	}
	assertNoToken(t, fetchAs("bob"), http.StatusTooManyRequests)
}
