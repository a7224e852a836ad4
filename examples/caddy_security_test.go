package examples_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed77c445a5/caddy-virgil-jwt/internal/caddyproc"
)

// appJWTKey is the shared HS256 key of the test app's login service.
const appJWTKey = "test-only shared key of the app's login service"

// signAppJWT returns an HS256 JWT with claims, signed with key, the way an
// app's login service would issue it.
func signAppJWT(t *testing.T, key string, claims map[string]any) string {
	t.Helper()
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body, err := json.Marshal(claims)
	if err != nil {
		t.Fatalf("encoding JWT claims: %v", err)
	}
	signingInput := header + "." + base64.RawURLEncoding.EncodeToString(body)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(signingInput))
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// aliceClaims returns the claims of a valid login JWT of alice, whose user
// ID is u-2001.
func aliceClaims() map[string]any {
	now := time.Now()
	return map[string]any{
		"sub":   "u-2001",
		"email": "alice@example.com",
		"name":  "Alice",
		"roles": []string{"app/user"},
		"iat":   now.Unix(),
		"exp":   now.Add(10 * time.Minute).Unix(),
	}
}

// withClaims returns aliceClaims changed by edit.
func withClaims(edit func(map[string]any)) map[string]any {
	claims := aliceClaims()
	edit(claims)
	return claims
}

// startCaddySecurity starts caddyfile and returns the process, an HTTP
// client that trusts its certificates, and the token endpoint's URL.
func startCaddySecurity(t *testing.T, caddyfile string) (*caddyproc.Process, *http.Client, string) {
	t.Helper()
	port := caddyproc.FreePort(t)
	env := append(credentialsEnv(),
		"SITE_ADDRESS=localhost:"+strconv.Itoa(port),
		"APP_JWT_SHARED_KEY="+appJWTKey,
	)
	p := caddyproc.Start(t, caddyfile, &caddyproc.Options{
		Binary: pluginBinary(t), Env: env, Secrets: []string{testAppKey, appJWTKey},
	})
	return p, p.Client(), "https://localhost:" + strconv.Itoa(port) + "/virgil-jwt"
}

func bearerRequest(t *testing.T, method, endpoint, jwt string) *http.Request {
	t.Helper()
	req := newRequest(t, method, endpoint)
	req.Header.Set("Authorization", "Bearer "+jwt)
	return req
}

func TestCaddySecurityExample(t *testing.T) {
	p, client, endpoint := startCaddySecurity(t, readCaddyfile(t, "caddy_security"))
	validJWT := signAppJWT(t, appJWTKey, aliceClaims())

	t.Run("bearer JWT gets sub as identity", func(t *testing.T) {
		assertToken(t, fetch(t, client, bearerRequest(t, http.MethodGet, endpoint, validJWT)), "u-2001")
	})
	t.Run("cookie JWT gets sub as identity", func(t *testing.T) {
		req := newRequest(t, http.MethodPost, endpoint)
		req.AddCookie(&http.Cookie{Name: "access_token", Value: validJWT})
		assertToken(t, fetch(t, client, req), "u-2001")
	})

	expired := withClaims(func(c map[string]any) {
		c["iat"] = time.Now().Add(-time.Hour).Unix()
		c["exp"] = time.Now().Add(-30 * time.Minute).Unix()
	})
	unsigned := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		strings.Split(validJWT, ".")[1] + "."
	rejected := []struct {
		name   string
		jwt    string
		status int
	}{
		{"no JWT", "", http.StatusUnauthorized},
		{"wrong key", signAppJWT(t, "another key", aliceClaims()), http.StatusUnauthorized},
		{"expired", signAppJWT(t, appJWTKey, expired), http.StatusUnauthorized},
		{"alg none", unsigned, http.StatusUnauthorized},
		{"tampered sub", strings.Replace(validJWT, strings.Split(validJWT, ".")[1],
			base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"u-2002","roles":["app/user"],"exp":9999999999}`)), 1),
			http.StatusUnauthorized},
		{"missing role", signAppJWT(t, appJWTKey, withClaims(func(c map[string]any) {
			c["roles"] = []string{"app/guest"}
		})), http.StatusForbidden},
		{"missing sub", signAppJWT(t, appJWTKey, withClaims(func(c map[string]any) {
			delete(c, "sub")
		})), http.StatusUnauthorized},
	}
	for _, tc := range rejected {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest(t, http.MethodGet, endpoint)
			if tc.jwt != "" {
				req.Header.Set("Authorization", "Bearer "+tc.jwt)
			}
			resp := fetch(t, client, req)
			assertNoToken(t, resp, tc.status)
			if location := resp.header.Get("Location"); location != "" {
				t.Errorf("redirect to %q despite disable auth redirect", location)
			}
		})
	}

	t.Run("valid JWT with PUT", func(t *testing.T) {
		assertNoToken(t, fetch(t, client, bearerRequest(t, http.MethodPut, endpoint, validJWT)), http.StatusMethodNotAllowed)
	})

	p.Stop()
	assertNoSecrets(t, p, testAppKey, appJWTKey)
}

// emailWarning is the start of virgil_jwt's startup warning about an
// identity placeholder that names an e-mail address.
const emailWarning = "identity uses an e-mail placeholder"

// TestCaddySecurityIdentity checks which claim becomes the Virgil identity
// for other identity settings than the example's.
func TestCaddySecurityIdentity(t *testing.T) {
	example := readCaddyfile(t, "caddy_security")
	identityLine := "\t\t\tidentity {http.auth.user.sub}\n"
	policyLine := "\t\t\tdisable auth redirect\n"
	for _, line := range []string{identityLine, policyLine} {
		if !strings.Contains(example, line) {
			t.Fatalf("the caddy_security example lacks the line %q", line)
		}
	}

	variants := []struct {
		name         string
		caddyfile    string
		wantIdentity string
		wantWarning  bool
	}{
		{
			name:         "example",
			caddyfile:    example,
			wantIdentity: "u-2001",
		},
		{
			name:         "default identity is e-mail",
			caddyfile:    strings.Replace(example, identityLine, "", 1),
			wantIdentity: "alice@example.com",
		},
		{
			name: "user identity sub",
			caddyfile: strings.Replace(strings.Replace(example, identityLine, "", 1),
				policyLine, policyLine+"\t\t\tset user identity sub\n", 1),
			wantIdentity: "u-2001",
		},
		{
			name: "e-mail placeholder warns",
			caddyfile: strings.Replace(example, identityLine,
				"\t\t\tidentity {http.auth.user.email}\n", 1),
			wantIdentity: "alice@example.com",
			wantWarning:  true,
		},
	}
	for _, variant := range variants {
		t.Run(variant.name, func(t *testing.T) {
			p, client, endpoint := startCaddySecurity(t, variant.caddyfile)
			jwt := signAppJWT(t, appJWTKey, aliceClaims())
			assertToken(t, fetch(t, client, bearerRequest(t, http.MethodGet, endpoint, jwt)), variant.wantIdentity)

			warned := false
			for _, entry := range p.Logs() {
				if entry.Level() == "warn" && strings.HasPrefix(entry.Message(), emailWarning) {
					warned = true
				}
			}
			if warned != variant.wantWarning {
				t.Errorf("e-mail identity warning logged = %v, want %v", warned, variant.wantWarning)
			}
		})
	}
}
