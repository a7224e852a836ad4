package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/seed77c445a5/caddy-virgil-jwt/internal/caddyproc"
	"github.com/seed77c445a5/caddy-virgil-jwt/internal/jssdk"
)

// Users of the basic_auth blocks. The second name checks that an identity
// with spaces and non-ASCII letters reaches the token unchanged.
var (
	alice   = &basicCredentials{user: "alice", password: "alice-password-1"}
	unicode = &basicCredentials{user: "Zoë Ålund 山田", password: "zoë-password-2"}
)

// tokenServer is a Caddy with three sites that serve tokens in different
// configurations.
type tokenServer struct {
	process *caddyproc.Process
	client  *http.Client

	// main has one route per configuration, under its own path.
	main int

	// sorted has its directives written in reverse order, so it works only
	// if Caddy sorts virgil_jwt after basic_auth and before respond.
	sorted int

	// shaped has no authentication and a handle_errors block for 401.
	shaped int
}

const tokenCaddyfile = `
localhost:%[1]d {
	tls internal

	handle /token {
		basic_auth {
			%[4]s %[6]s
			%[5]q %[7]s
		}
		virgil_jwt {%[8]s
			additional_data plan pro
			additional_data user {http.auth.user.id}
		}
	}

	# route keeps the written order of its directives.
	handle /route/token {
		route {
			basic_auth {
				%[4]s %[6]s
			}
			virgil_jwt {%[8]s
				ttl         1h
				token_field accessToken
			}
		}
	}

	# The handler runs before basic_auth here, so it never sees an identity.
	route /before-auth/token {
		virgil_jwt {%[8]s
		}
		basic_auth {
			%[4]s %[6]s
		}
	}

	handle /file-key/token {
		basic_auth {
			%[4]s %[6]s
		}
		virgil_jwt {
			app_id     {env.VIRGIL_APP_ID}
			app_key_id {env.VIRGIL_APP_KEY_ID}
			app_key    {file.%[9]s}
			ttl        90s
		}
	}

}

localhost:%[2]d {
	tls internal

	respond "reached respond"
	virgil_jwt {%[8]s
	}
	basic_auth {
		%[4]s %[6]s
	}
}

localhost:%[3]d {
	tls internal

	virgil_jwt {%[8]s
	}

	handle_errors 401 {
		header Content-Type application/json
		respond ` + "`" + `{"error":"sign in first"}` + "`" + ` 401
	}
}
`

func startTokenServer(t *testing.T) *tokenServer {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "app_key")
	if err := os.WriteFile(keyFile, []byte(testAppKey+"\n"), 0o600); err != nil {
		t.Fatalf("writing App Key file: %v", err)
	}

	server := &tokenServer{
		main:   caddyproc.FreePort(t),
		sorted: caddyproc.FreePort(t),
		shaped: caddyproc.FreePort(t),
	}
	caddyfile := fmt.Sprintf(tokenCaddyfile,
		server.main, server.sorted, server.shaped,
		alice.user, unicode.user,
		hashPassword(t, alice.password), hashPassword(t, unicode.password),
		credentialsBlock, keyFile)
	server.process = caddyproc.Start(t, caddyfile, &caddyproc.Options{
		Env:     credentialEnv,
		Secrets: []string{testAppKey, alice.password, unicode.password},
	})
	server.client = server.process.Client()
	return server
}

func TestTokenEndpoint(t *testing.T) {
	server := startTokenServer(t)

	t.Run("mints tokens", func(t *testing.T) {
		testMintsTokens(t, server)
	})
	t.Run("rejects unauthenticated requests", func(t *testing.T) {
		testRejectsUnauthenticated(t, server)
	})
	t.Run("rejects other methods", func(t *testing.T) {
		testRejectsOtherMethods(t, server)
	})

	server.process.Stop()
	assertNoSecret(t, "caddy output", server.process.RawOutput(), testAppKey, alice.password, unicode.password)
}

func testMintsTokens(t *testing.T, server *tokenServer) {
	tests := []struct {
		name         string
		port         int
		path         string
		method       string
		credentials  *basicCredentials
		field        string
		wantTTL      int64
		wantIdentity string
		wantData     map[string]any
	}{
		{
			name:   "GET with additional data",
			port:   server.main,
			path:   "/token",
			method: http.MethodGet, credentials: alice,
			field: "virgilToken", wantTTL: 20 * 60, wantIdentity: alice.user,
			wantData: map[string]any{"plan": "pro", "user": alice.user},
		},
		{
			name:   "POST with non-ASCII identity",
			port:   server.main,
			path:   "/token",
			method: http.MethodPost, credentials: unicode,
			field: "virgilToken", wantTTL: 20 * 60, wantIdentity: unicode.user,
			wantData: map[string]any{"plan": "pro", "user": unicode.user},
		},
		{
			name:   "inside route with ttl and token_field",
			port:   server.main,
			path:   "/route/token",
			method: http.MethodGet, credentials: alice,
			field: "accessToken", wantTTL: 60 * 60, wantIdentity: alice.user,
		},
		{
			name:   "App Key from file with trailing newline",
			port:   server.main,
			path:   "/file-key/token",
			method: http.MethodPost, credentials: alice,
			field: "virgilToken", wantTTL: 90, wantIdentity: alice.user,
		},
		{
			name:   "directives sorted without order line",
			port:   server.sorted,
			path:   "/",
			method: http.MethodGet, credentials: alice,
			field: "virgilToken", wantTTL: 20 * 60, wantIdentity: alice.user,
		},
	}

	tokens := make([]string, len(tests))
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			response := fetch(t, server.client, tt.method, siteURL(tt.port, tt.path), tt.credentials)
			if response.status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body: %s", response.status, response.body)
			}
			if got := response.header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			if got := response.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			tokens[i] = response.token(t, tt.field)
		})
	}

	t.Run("verified by JavaScript SDK", func(t *testing.T) {
		jssdk.Require(t)
		requests := []jssdk.VerifyRequest{}
		for _, token := range tokens {
			if token == "" {
				t.Fatal("a token is missing because a request above failed")
			}
			requests = append(requests, jssdk.VerifyRequest{
				Token: token, PublicKey: testAppPublicKey, AppKeyID: testAppKeyID,
			})
		}
		results := jssdk.Verify(t, requests...)

		for i, tt := range tests {
			result := results[i]
			if result.Error != "" {
				t.Errorf("%s: SDK error: %s", tt.name, result.Error)
				continue
			}
			if !result.Valid {
				t.Errorf("%s: SDK rejected the signature", tt.name)
			}
			if result.Expired {
				t.Errorf("%s: SDK reports the token as expired", tt.name)
			}
			if result.Identity != tt.wantIdentity {
				t.Errorf("%s: identity = %q, want %q", tt.name, result.Identity, tt.wantIdentity)
			}
			if result.AppID != testAppID {
				t.Errorf("%s: App ID = %q, want the test App ID", tt.name, result.AppID)
			}
			if got := result.ExpiresAt - result.IssuedAt; got != tt.wantTTL {
				t.Errorf("%s: exp - iat = %d s, want %d s", tt.name, got, tt.wantTTL)
			}
			if !reflect.DeepEqual(result.AdditionalData, tt.wantData) {
				t.Errorf("%s: ada = %v, want %v", tt.name, result.AdditionalData, tt.wantData)
			}
		}
	})

	t.Run("rejected by JavaScript SDK with other key", func(t *testing.T) {
		jssdk.Require(t)
		if tokens[0] == "" {
			t.Fatal("the token is missing because the first request failed")
		}
		results := jssdk.Verify(t,
			jssdk.VerifyRequest{Token: tokens[0], PublicKey: otherPublicKey(t), AppKeyID: testAppKeyID},
			jssdk.VerifyRequest{Token: tokens[0], PublicKey: testAppPublicKey, AppKeyID: strings.Repeat("0", 128)},
		)
		if results[0].Valid {
			t.Error("SDK accepted the token with another App public key")
		}
		if results[1].Valid {
			t.Error("SDK accepted the token with another App Key ID")
		}
	})
}

func testRejectsUnauthenticated(t *testing.T, server *tokenServer) {
	tests := []struct {
		name        string
		port        int
		path        string
		credentials *basicCredentials
		wantBody    string // exact body, when not empty
		wantAuthn   bool   // whether basic_auth's WWW-Authenticate is expected
	}{
		{name: "no credentials", port: server.main, path: "/token", wantAuthn: true},
		{
			name: "wrong password", port: server.main, path: "/token",
			credentials: &basicCredentials{user: alice.user, password: "wrong"}, wantAuthn: true,
		},
		{
			name: "unknown user", port: server.main, path: "/token",
			credentials: &basicCredentials{user: "mallory", password: alice.password}, wantAuthn: true,
		},
		{
			name: "non-ASCII user with other case", port: server.main, path: "/token",
			credentials: &basicCredentials{user: strings.ToUpper(unicode.user), password: unicode.password}, wantAuthn: true,
		},
		{
			name: "handler before basic_auth", port: server.main, path: "/before-auth/token",
			credentials: alice,
		},
		{name: "sorted site without credentials", port: server.sorted, path: "/", wantAuthn: true},
		{
			name: "handle_errors shapes the 401", port: server.shaped, path: "/",
			wantBody: `{"error":"sign in first"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			response := fetch(t, server.client, http.MethodGet, siteURL(tt.port, tt.path), tt.credentials)
			if response.status != http.StatusUnauthorized {
				t.Errorf("status = %d, want 401", response.status)
			}
			if containsToken(response.body) {
				t.Errorf("401 response contains a token: %s", response.body)
			}
			if tt.wantBody != "" && response.body != tt.wantBody {
				t.Errorf("body = %q, want %q", response.body, tt.wantBody)
			}
			gotAuthn := response.header.Get("WWW-Authenticate") != ""
			if gotAuthn != tt.wantAuthn {
				t.Errorf("WWW-Authenticate present = %v, want %v", gotAuthn, tt.wantAuthn)
			}
		})
	}
}

func testRejectsOtherMethods(t *testing.T, server *tokenServer) {
	methods := []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead, http.MethodOptions}
	for _, method := range methods {
		t.Run(method, func(t *testing.T) {
			response := fetch(t, server.client, method, siteURL(server.main, "/token"), alice)
			if response.status != http.StatusMethodNotAllowed {
				t.Errorf("status = %d, want 405", response.status)
			}
			if got := response.header.Get("Allow"); got != "GET, POST" {
				t.Errorf("Allow = %q, want %q", got, "GET, POST")
			}
			if containsToken(response.body) {
				t.Errorf("405 response contains a token: %s", response.body)
			}
		})
	}
}
