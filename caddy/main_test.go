package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/seed77c445a5/caddy-virgil-jwt/internal/caddyproc"
)

func TestMain(m *testing.M) { caddyproc.Main(m) }

// Test credentials from Virgil's cross-SDK test vectors. The App Key is
// public there, but the tests still treat it as a secret: it must not
// appear in any output.
const (
	testAppKey       = "MC4CAQAwBQYDK2VwBCIEIMxSaUI1QizmMvSPyTc26YsK21clGXKEztNKZ7NtrATP"
	testAppPublicKey = "MCowBQYDK2VwAyEAY9J8et78SmmE4GOm7f8fdew/eQB5YxKkwZeO3Z1IBt4="
	testAppKeyID     = "8e62643674d100b8a52648475c23b8bb86a1f119e89970cc63cdccc0920df2ea2d8cb7d6b54c4a9e284b2ccf5acb22ea37efefcb6e4274c4b04ed725e4454ca1"
	testAppID        = "13497c3c795e3a6c32643b0a76957b70d2332080762469cdbec89d6390e6dbd7"
)

// credentialEnv sets the variables that the {env.VIRGIL_*} placeholders of
// the test Caddyfiles read.
var credentialEnv = []string{
	"VIRGIL_APP_ID=" + testAppID,
	"VIRGIL_APP_KEY_ID=" + testAppKeyID,
	"VIRGIL_APP_KEY=" + testAppKey,
}

// credentialsBlock is the part of a virgil_jwt block that reads the test
// credentials from the environment.
const credentialsBlock = `
		app_id     {env.VIRGIL_APP_ID}
		app_key_id {env.VIRGIL_APP_KEY_ID}
		app_key    {env.VIRGIL_APP_KEY}`

// hashPassword returns the bcrypt hash that `caddy hash-password` makes of
// password, for basic_auth.
func hashPassword(t *testing.T, password string) string {
	t.Helper()
	output, err := caddyproc.Run(t, nil, "hash-password", "--plaintext", password)
	if err != nil {
		t.Fatalf("caddy hash-password: %v\n%s", err, output)
	}
	hash := strings.TrimSpace(output)
	if !strings.HasPrefix(hash, "$2a$") {
		t.Fatalf("caddy hash-password returned %q, want a bcrypt hash", hash)
	}
	return hash
}

// tokenResponse is a response of the virgil_jwt handler, or of whichever
// handler served the request instead.
type tokenResponse struct {
	status int
	header http.Header
	body   string
}

// fetch sends a request with optional basic auth credentials and reads the
// whole response.
func fetch(t *testing.T, client *http.Client, method, url string, credentials *basicCredentials) tokenResponse {
	t.Helper()
	request, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatalf("creating request: %v", err)
	}
	if credentials != nil {
		request.SetBasicAuth(credentials.user, credentials.password)
	}
	response, err := client.Do(request)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatalf("reading response of %s %s: %v", method, url, err)
	}
	return tokenResponse{status: response.StatusCode, header: response.Header, body: string(body)}
}

type basicCredentials struct {
	user     string
	password string
}

// token decodes a JSON body with a single string field and returns its
// value. It fails the test for any other body.
func (r tokenResponse) token(t *testing.T, field string) string {
	t.Helper()
	var fields map[string]string
	if err := json.Unmarshal([]byte(r.body), &fields); err != nil {
		t.Fatalf("response body is not a JSON object of strings: %v\n%s", err, r.body)
	}
	if len(fields) != 1 {
		t.Fatalf("response body has %d fields, want only %q: %s", len(fields), field, r.body)
	}
	token, ok := fields[field]
	if !ok || token == "" {
		t.Fatalf("response body has no %q field: %s", field, r.body)
	}
	return token
}

// containsToken reports whether s contains something shaped like a JWT,
// which starts with the base64url of `{"`.
func containsToken(s string) bool {
	return strings.Contains(s, "eyJ")
}

// otherPublicKey returns the App public key of a fresh key pair, in the
// base64 SPKI form that Virgil's SDK imports, for negative checks.
func otherPublicKey(t *testing.T) string {
	t.Helper()
	public, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("generating key: %v", err)
	}
	der, err := x509.MarshalPKIXPublicKey(public)
	if err != nil {
		t.Fatalf("encoding public key: %v", err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// assertNoSecret fails the test if output contains any of the secrets,
// without printing the output or the secret.
func assertNoSecret(t *testing.T, source, output string, secrets ...string) {
	t.Helper()
	for i, secret := range secrets {
		if secret != "" && strings.Contains(output, secret) {
			t.Errorf("%s contains secret number %d", source, i)
		}
	}
}

func siteURL(port int, path string) string {
	return fmt.Sprintf("https://localhost:%d%s", port, path)
}
