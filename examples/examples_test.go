// Package examples_test runs every example Caddyfile end to end: a real
// Caddy process on loopback, real authentication modules, and Virgil's
// JavaScript SDK checking each token it mints.
//
// Examples that need plugins (caddy-security, caddy-ratelimit) run on the
// binary named by VIRGILJWT_EXAMPLES_CADDY, built by build-caddy.sh. The
// others use that binary too when it is set, and otherwise build ./caddy.
package examples_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed77c445a5/caddy-virgil-jwt/internal/caddyproc"
	"github.com/seed77c445a5/caddy-virgil-jwt/internal/jssdk"
)

// examplesBinaryEnv names the environment variable with the path of a Caddy
// built by build-caddy.sh.
const examplesBinaryEnv = "VIRGILJWT_EXAMPLES_CADDY"

// Test credentials from Virgil's cross-SDK test vectors. They are not the
// credentials of any real Virgil application.
const (
	testAppID        = "13497c3c795e3a6c32643b0a76957b70d2332080762469cdbec89d6390e6dbd7"
	testAppKeyID     = "8e62643674d100b8a52648475c23b8bb86a1f119e89970cc63cdccc0920df2ea2d8cb7d6b54c4a9e284b2ccf5acb22ea37efefcb6e4274c4b04ed725e4454ca1"
	testAppKey       = "MC4CAQAwBQYDK2VwBCIEIMxSaUI1QizmMvSPyTc26YsK21clGXKEztNKZ7NtrATP"
	testAppPublicKey = "MCowBQYDK2VwAyEAY9J8et78SmmE4GOm7f8fdew/eQB5YxKkwZeO3Z1IBt4="
)

func TestMain(m *testing.M) {
	caddyproc.Main(m)
}

// pluginBinary returns the Caddy built by build-caddy.sh. Without it the
// test is skipped, or failed when the CI environment variable is set.
func pluginBinary(t *testing.T) string {
	t.Helper()
	path := os.Getenv(examplesBinaryEnv)
	if path != "" {
		return path
	}
	message := "Caddy with caddy-security and caddy-ratelimit not built: run examples/build-caddy.sh /tmp/caddy-examples and set " +
		examplesBinaryEnv + "=/tmp/caddy-examples"
	if os.Getenv("CI") != "" {
		t.Fatal(message)
	}
	t.Skip("skipping: " + message)
	return ""
}

// standardBinary returns the Caddy for examples that need only standard
// modules: the plugin build when it is set, or else ./caddy of this
// repository.
func standardBinary(t *testing.T) string {
	t.Helper()
	if path := os.Getenv(examplesBinaryEnv); path != "" {
		return path
	}
	return caddyproc.Binary(t)
}

// readCaddyfile returns examples/<name>/Caddyfile.
func readCaddyfile(t *testing.T, name string) string {
	t.Helper()
	content, err := os.ReadFile(filepath.Join(name, "Caddyfile"))
	if err != nil {
		t.Fatalf("reading the %s example: %v", name, err)
	}
	return string(content)
}

// credentialsEnv returns the environment variables through which the
// example Caddyfiles read the Virgil credentials.
func credentialsEnv() []string {
	return []string{
		"VIRGIL_APP_ID=" + testAppID,
		"VIRGIL_APP_KEY_ID=" + testAppKeyID,
		"VIRGIL_APP_KEY=" + testAppKey,
	}
}

// tokenResponse is the outcome of one request to a token endpoint.
type tokenResponse struct {
	status int
	header http.Header
	body   string
	token  string // the virgilToken field, if the body is such JSON
}

// fetch sends req with client and decodes a token, if the response has one.
func fetch(t *testing.T, client *http.Client, req *http.Request) tokenResponse {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the response to %s %s: %v", req.Method, req.URL, err)
	}

	result := tokenResponse{status: resp.StatusCode, header: resp.Header, body: string(body)}
	var reply struct {
		VirgilToken string `json:"virgilToken"`
	}
	if json.Unmarshal(body, &reply) == nil {
		result.token = reply.VirgilToken
	}
	return result
}

// newRequest builds a request or fails the test.
func newRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatalf("building request %s %s: %v", method, url, err)
	}
	return req
}

// assertToken checks that resp carries a token that Virgil's JavaScript
// SDK accepts for the test App Key and that names identity.
func assertToken(t *testing.T, resp tokenResponse, identity string) {
	t.Helper()
	if resp.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", resp.status, resp.body)
	}
	if resp.token == "" {
		t.Fatalf("no virgilToken in the response body %q", resp.body)
	}

	results := jssdk.Verify(t, jssdk.VerifyRequest{
		Token:     resp.token,
		PublicKey: testAppPublicKey,
		AppKeyID:  testAppKeyID,
	})
	got := results[0]
	if got.Error != "" {
		t.Fatalf("the SDK rejected the token: %s", got.Error)
	}
	if !got.Valid {
		t.Error("the SDK's JwtVerifier found the token invalid")
	}
	if got.Identity != identity {
		t.Errorf("token identity = %q, want %q", got.Identity, identity)
	}
	if got.AppID != testAppID {
		t.Errorf("token App ID = %q, want the test App ID", got.AppID)
	}
}

// assertNoToken checks that resp has status and carries no token.
func assertNoToken(t *testing.T, resp tokenResponse, status int) {
	t.Helper()
	if resp.status != status {
		t.Errorf("status = %d, want %d; body: %s", resp.status, status, resp.body)
	}
	if resp.token != "" || strings.Contains(resp.body, "virgilToken") {
		t.Errorf("response with status %d carries a token", resp.status)
	}
}

// assertNoSecrets checks that Caddy's output contains none of secrets.
func assertNoSecrets(t *testing.T, p *caddyproc.Process, secrets ...string) {
	t.Helper()
	output := p.RawOutput()
	for i, secret := range secrets {
		if secret != "" && strings.Contains(output, secret) {
			t.Errorf("Caddy's output contains secret number %d", i)
		}
	}
}

// hashPassword returns the bcrypt hash of password from caddy hash-password.
// It uses bcrypt's minimum cost, 4, so that logins in tests take
// milliseconds. Caddy's default cost, 14, is for real passwords.
func hashPassword(t *testing.T, binary, password string) string {
	t.Helper()
	output, err := caddyproc.Run(t, &caddyproc.Options{Binary: binary, Secrets: []string{password}},
		"hash-password", "--bcrypt-cost", "4", "--plaintext", password)
	if err != nil {
		t.Fatalf("caddy hash-password: %v", err)
	}
	return strings.TrimSpace(output)
}
