package examples_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/seed77c445a5/caddy-virgil-jwt/internal/caddyproc"
)

// loginServiceBody is the body of the test login service's 401, so tests
// can tell that a 401 came from the service through forward_auth.
const loginServiceBody = "login required by the test login service"

// newLoginService starts a stand-in for an existing login service. It
// responds with 200 and X-User-Id for a known session cookie or bearer
// token, with 200 alone for the cookie session=incomplete-session, and
// with 401 otherwise.
func newLoginService(t *testing.T) *httptest.Server {
	t.Helper()
	users := map[string]string{
		"session=alice-session":      "u-1001",
		"Bearer bob-api-token":       "u-1002",
		"session=incomplete-session": "",
	}
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/session" {
			http.NotFound(w, r)
			return
		}
		credential := r.Header.Get("Authorization")
		if cookie, err := r.Cookie("session"); err == nil {
			credential = "session=" + cookie.Value
		}
		userID, ok := users[credential]
		if !ok {
			http.Error(w, loginServiceBody, http.StatusUnauthorized)
			return
		}
		if userID != "" {
			w.Header().Set("X-User-Id", userID)
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(service.Close)
	return service
}

func TestForwardAuthExample(t *testing.T) {
	binary := standardBinary(t)
	service := newLoginService(t)
	example := readCaddyfile(t, "forward_auth")

	// The example strips a client-sent X-User-Id itself, for Caddy
	// before 2.11.2. Without that line, the test checks that Caddy's own
	// forward_auth does it.
	stripLine := "\t\trequest_header -X-User-Id\n"
	if !strings.Contains(example, stripLine) {
		t.Fatalf("the forward_auth example lacks the line %q", stripLine)
	}
	variants := []struct{ name, caddyfile string }{
		{"as shipped", example},
		{"without request_header", strings.Replace(example, stripLine, "", 1)},
	}

	for _, variant := range variants {
		t.Run(variant.name, func(t *testing.T) {
			port := caddyproc.FreePort(t)
			env := append(credentialsEnv(),
				"SITE_ADDRESS=localhost:"+strconv.Itoa(port),
				"LOGIN_SERVICE="+strings.TrimPrefix(service.URL, "http://"),
			)
			p := caddyproc.Start(t, variant.caddyfile, &caddyproc.Options{
				Binary: binary, Env: env, Secrets: []string{testAppKey},
			})
			testForwardAuth(t, p.Client(), "https://localhost:"+strconv.Itoa(port)+"/virgil-jwt")
			p.Stop()
			assertNoSecrets(t, p, testAppKey)
		})
	}
}

func testForwardAuth(t *testing.T, client *http.Client, endpoint string) {
	request := func(method string, headers ...string) tokenResponse {
		req := newRequest(t, method, endpoint)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		return fetch(t, client, req)
	}

	t.Run("session cookie", func(t *testing.T) {
		assertToken(t, request(http.MethodGet, "Cookie", "session=alice-session"), "u-1001")
	})
	t.Run("bearer token", func(t *testing.T) {
		assertToken(t, request(http.MethodPost, "Authorization", "Bearer bob-api-token"), "u-1002")
	})
	t.Run("forged header overridden by service", func(t *testing.T) {
		resp := request(http.MethodGet, "Cookie", "session=alice-session", "X-User-Id", "u-1002")
		assertToken(t, resp, "u-1001")
	})

	// The service vouches for the session but names no user, so the
	// client's own X-User-Id must not become the identity.
	t.Run("forged header without service header", func(t *testing.T) {
		resp := request(http.MethodGet, "Cookie", "session=incomplete-session", "X-User-Id", "u-1002")
		assertNoToken(t, resp, http.StatusUnauthorized)
	})
	t.Run("session without user header", func(t *testing.T) {
		assertNoToken(t, request(http.MethodGet, "Cookie", "session=incomplete-session"), http.StatusUnauthorized)
	})

	loginFailures := []struct {
		name    string
		headers []string
	}{
		{"no credentials", nil},
		{"unknown session", []string{"Cookie", "session=stolen-guess"}},
		{"unknown bearer token", []string{"Authorization", "Bearer guessed"}},
		{"forged header without session", []string{"X-User-Id", "u-1001"}},
	}
	for _, tc := range loginFailures {
		t.Run(tc.name, func(t *testing.T) {
			resp := request(http.MethodGet, tc.headers...)
			assertNoToken(t, resp, http.StatusUnauthorized)
			if !strings.Contains(resp.body, loginServiceBody) {
				t.Errorf("401 body %q is not the login service's", resp.body)
			}
		})
	}

	t.Run("good session with PUT", func(t *testing.T) {
		assertNoToken(t, request(http.MethodPut, "Cookie", "session=alice-session"), http.StatusMethodNotAllowed)
	})
	t.Run("bad session with PUT", func(t *testing.T) {
		assertNoToken(t, request(http.MethodPut, "Cookie", "session=stolen-guess"), http.StatusUnauthorized)
	})
}
