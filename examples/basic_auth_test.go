package examples_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/seed77c445a5/caddy-virgil-jwt/internal/caddyproc"
)

func TestBasicAuthExample(t *testing.T) {
	binary := standardBinary(t)
	const alicePassword = "correct horse battery staple"
	const bobPassword = "bob's other password"

	port := caddyproc.FreePort(t)
	env := append(credentialsEnv(),
		"SITE_ADDRESS=localhost:"+strconv.Itoa(port),
		"ALICE_PASSWORD_HASH="+hashPassword(t, binary, alicePassword),
		"BOB_PASSWORD_HASH="+hashPassword(t, binary, bobPassword),
	)
	secrets := []string{testAppKey, alicePassword, bobPassword}
	p := caddyproc.Start(t, readCaddyfile(t, "basic_auth"), &caddyproc.Options{
		Binary: binary, Env: env, Secrets: secrets,
	})
	client := p.Client()
	endpoint := "https://localhost:" + strconv.Itoa(port) + "/virgil-jwt"

	login := func(method, user, password string) tokenResponse {
		req := newRequest(t, method, endpoint)
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		return fetch(t, client, req)
	}

	t.Run("each user gets own identity", func(t *testing.T) {
		assertToken(t, login(http.MethodGet, "alice", alicePassword), "alice")
		assertToken(t, login(http.MethodPost, "bob", bobPassword), "bob")
	})

	rejected := []struct {
		name, method, user, password string
		status                       int
	}{
		{"no credentials", http.MethodGet, "", "", http.StatusUnauthorized},
		{"wrong password", http.MethodGet, "alice", bobPassword, http.StatusUnauthorized},
		{"another user's password", http.MethodGet, "bob", alicePassword, http.StatusUnauthorized},
		{"unknown user", http.MethodGet, "mallory", alicePassword, http.StatusUnauthorized},
		{"empty password", http.MethodGet, "alice", "", http.StatusUnauthorized},
		{"good login with PUT", http.MethodPut, "alice", alicePassword, http.StatusMethodNotAllowed},
		{"bad login with PUT", http.MethodPut, "alice", "wrong", http.StatusUnauthorized},
	}
	for _, tc := range rejected {
		t.Run(tc.name, func(t *testing.T) {
			resp := login(tc.method, tc.user, tc.password)
			assertNoToken(t, resp, tc.status)
			if tc.status == http.StatusUnauthorized && resp.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without a WWW-Authenticate challenge")
			}
		})
	}

	t.Run("other path is not found", func(t *testing.T) {
		req := newRequest(t, http.MethodGet, "https://localhost:"+strconv.Itoa(port)+"/virgil-jwt/extra")
		req.SetBasicAuth("alice", alicePassword)
		assertNoToken(t, fetch(t, client, req), http.StatusNotFound)
	})

	p.Stop()
	assertNoSecrets(t, p, secrets...)
}
