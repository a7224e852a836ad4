package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed77c445a5/caddy-virgil-jwt/internal/caddyproc"
	"github.com/seed77c445a5/caddy-virgil-jwt/internal/jssdk"
)

// The quick start's documented address, user and throwaway password.
const (
	quickstartAddress  = "localhost:8080"
	quickstartPath     = "/virgil-jwt"
	quickstartUser     = "alice"
	quickstartPassword = "quickstart-password"
)

// quickstartCurl is the command that README.md and the Caddyfile give for
// fetching a token.
var quickstartCurl = fmt.Sprintf("curl -u %s:%s http://%s%s",
	quickstartUser, quickstartPassword, quickstartAddress, quickstartPath)

// developmentKey is what the virgil_jwt handler logs about a development
// key at startup.
type developmentKey struct {
	appID     string
	appKeyID  string
	publicKey string
}

// loggedDevelopmentKey returns the development key of the only Warn line
// that announces one, and fails the test unless there is exactly one.
func loggedDevelopmentKey(t *testing.T, process *caddyproc.Process) developmentKey {
	t.Helper()
	var keys []developmentKey
	for _, entry := range process.Logs() {
		if entry.Level() != "warn" || entry.Message() != "using a throwaway development App Key" {
			continue
		}
		key := developmentKey{}
		key.appID, _ = entry["app_id"].(string)
		key.appKeyID, _ = entry["app_key_id"].(string)
		key.publicKey, _ = entry["app_public_key"].(string)
		keys = append(keys, key)
	}
	if len(keys) != 1 {
		t.Fatalf("found %d development key warnings, want 1", len(keys))
	}
	key := keys[0]
	if key.appID == "" || key.appKeyID == "" || key.publicKey == "" {
		t.Fatalf("development key warning lacks app_id, app_key_id or app_public_key: %+v", key)
	}
	return key
}

// TestQuickstart runs examples/quickstart/Caddyfile as README.md describes, on
// a free port instead of 8080, and checks its token with the App public
// key that Caddy logged.
func TestQuickstart(t *testing.T) {
	repository := filepath.Join("..")
	caddyfile, err := os.ReadFile(filepath.Join(repository, "examples", "quickstart", "Caddyfile"))
	if err != nil {
		t.Fatalf("reading the quick start Caddyfile: %v", err)
	}
	readme, err := os.ReadFile(filepath.Join(repository, "README.md"))
	if err != nil {
		t.Fatalf("reading README.md: %v", err)
	}

	t.Run("documents the tested command", func(t *testing.T) {
		for name, content := range map[string][]byte{"README.md": readme, "Caddyfile": caddyfile} {
			if !strings.Contains(string(content), quickstartCurl) {
				t.Errorf("%s does not contain %q", name, quickstartCurl)
			}
		}
	})

	// Only the site address changes, so that the test never binds 8080.
	siteBlock := "http://" + quickstartAddress + " {"
	if strings.Count(string(caddyfile), siteBlock) != 1 {
		t.Fatalf("quick start Caddyfile does not have one site block %q", siteBlock)
	}
	address := fmt.Sprintf("localhost:%d", caddyproc.FreePort(t))
	config := strings.Replace(string(caddyfile), siteBlock, "http://"+address+" {", 1)
	process := caddyproc.Start(t, config, &caddyproc.Options{Secrets: []string{quickstartPassword}})
	client := process.Client()
	url := "http://" + address + quickstartPath

	var token string
	t.Run("mints token for documented user", func(t *testing.T) {
		credentials := &basicCredentials{user: quickstartUser, password: quickstartPassword}
		response := fetch(t, client, http.MethodGet, url, credentials)
		if response.status != http.StatusOK {
			t.Fatalf("status = %d, want 200; body: %s", response.status, response.body)
		}
		token = response.token(t, "virgilToken")
	})

	t.Run("rejects wrong password", func(t *testing.T) {
		credentials := &basicCredentials{user: quickstartUser, password: "wrong"}
		response := fetch(t, client, http.MethodGet, url, credentials)
		if response.status != http.StatusUnauthorized {
			t.Errorf("status = %d, want 401", response.status)
		}
		if containsToken(response.body) {
			t.Errorf("401 response contains a token: %s", response.body)
		}
	})

	t.Run("verified with logged public key", func(t *testing.T) {
		jssdk.Require(t)
		if token == "" {
			t.Fatal("the token is missing because the request above failed")
		}
		key := loggedDevelopmentKey(t, process)
		results := jssdk.Verify(t,
			jssdk.VerifyRequest{Token: token, PublicKey: key.publicKey, AppKeyID: key.appKeyID},
			jssdk.VerifyRequest{Token: token, PublicKey: testAppPublicKey, AppKeyID: key.appKeyID},
		)

		valid := results[0]
		if !valid.Valid {
			t.Errorf("SDK rejected the token with the logged key: %s", valid.Error)
		}
		if valid.Identity != quickstartUser {
			t.Errorf("identity = %q, want %q", valid.Identity, quickstartUser)
		}
		if valid.AppID != key.appID {
			t.Errorf("App ID = %q, want the logged %q", valid.AppID, key.appID)
		}
		if got := valid.ExpiresAt - valid.IssuedAt; got != 20*60 {
			t.Errorf("exp - iat = %d s, want the default 1200 s", got)
		}
		if results[1].Valid {
			t.Error("SDK accepted the token with another App public key")
		}
	})

	process.Stop()
	assertNoSecret(t, "caddy output", process.RawOutput(), quickstartPassword)
}
