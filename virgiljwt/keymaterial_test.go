package virgiljwt

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"os"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest/observer"

	"github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt/jwt"
)

// otherPrivateKey returns an Ed25519 private key that is not the test App
// Key, as base64 of PKCS#8 DER.
func otherPrivateKey(t *testing.T) string {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// testAppKeySeed returns the 32-byte seed of the test App Key.
func testAppKeySeed(t *testing.T) []byte {
	t.Helper()
	key, err := jwt.ParsePrivateKey([]byte(testAppKey))
	if err != nil {
		t.Fatal(err)
	}
	return key.Seed()
}

// assertNoSecretLogged fails the test if an error or a log line contains
// secret.
func assertNoSecretLogged(t *testing.T, err error, logs *observer.ObservedLogs, secret string) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Error("error contains the secret value")
	}
	for _, entry := range logs.All() {
		if strings.Contains(entryText(entry), secret) {
			t.Errorf("log line %q contains the secret value", entry.Message)
		}
	}
}

func TestProvisionKeyMaterialInIDs(t *testing.T) {
	const secretEnv = "TEST_VIRGIL_ID"

	seed := testAppKeySeed(t)
	fullKey := ed25519.NewKeyFromSeed(seed)
	tests := []struct {
		name   string
		option string // app_id or app_key_id
		value  string // the value of secretEnv

		// kind is the key material the error must name, or "" for a
		// value that must be accepted.
		kind string
	}{
		{name: "app_id is the App Key", option: "app_id", value: testAppKey, kind: "the App Key"},
		{name: "app_key_id is the App Key", option: "app_key_id", value: testAppKey, kind: "the App Key"},
		{name: "app_id is the App Key PEM", option: "app_id", value: testAppKeyPEM(t), kind: "the App Key"},
		{name: "app_id with virgil- prefix", option: "app_id", value: "virgil-" + testAppKey, kind: "the App Key"},
		{name: "app_id is the seed in hex", option: "app_id", value: hex.EncodeToString(seed), kind: "the App Key"},
		{name: "app_key_id is the key in hex", option: "app_key_id", value: strings.ToUpper(hex.EncodeToString(fullKey)), kind: "the App Key"},
		{name: "app_id is the seed in base64", option: "app_id", value: base64.StdEncoding.EncodeToString(seed), kind: "the App Key"},
		{name: "app_id is another private key", option: "app_id", value: otherPrivateKey(t), kind: "a private key"},
		{name: "app_key_id is a truncated key", option: "app_key_id", value: otherPrivateKey(t)[:40], kind: "the start of an Ed25519 private key"},
		{name: "app_id is a PEM private key", option: "app_id", value: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", kind: "a PEM private key"},
		{name: "app_id is the App public key", option: "app_id", value: testAppPublicKey, kind: "a public key"},
		{name: "app_key_id is a certificate", option: "app_key_id", value: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", kind: "a PEM block"},

		// Negative twins: each is close to a case above but no key.
		{name: "app_id is the test App ID", option: "app_id", value: testAppID},
		{name: "app_key_id is the test App Key ID", option: "app_key_id", value: testAppKeyID},
		{name: "app_id is other hex", option: "app_id", value: strings.Repeat("5e", 32)},
		{name: "app_key_id is other 128 hex", option: "app_key_id", value: strings.Repeat("a7", 64)},
		{name: "app_id is one short of the key header", option: "app_id", value: pkcs8Ed25519Prefix[:len(pkcs8Ed25519Prefix)-1]},
		{name: "app_id is a name", option: "app_id", value: "my-app"},
		{name: "app_key_id mentions BEGIN", option: "app_key_id", value: "BEGIN-key-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(secretEnv, tt.value)
			h := testHandler()
			if tt.option == "app_id" {
				h.AppID = "{env." + secretEnv + "}"
			} else {
				h.AppKeyID = "{env." + secretEnv + "}"
			}

			logs, err := provisionObserved(t, h)
			assertNoSecretLogged(t, err, logs, testAppKey)
			if tt.kind == "" {
				if err != nil {
					t.Fatalf("provision: %v", err)
				}
				return
			}

			if err == nil {
				t.Fatal("provision succeeded, expected an error")
			}
			assertNoSecretLogged(t, err, logs, strings.TrimSpace(tt.value))
			if prefix := tt.option + ": value contains "; !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
			if !strings.Contains(err.Error(), "contains "+tt.kind+",") {
				t.Errorf("error %q does not name %q", err, tt.kind)
			}
			if n := logs.FilterMessage("Virgil token handler ready").Len(); n != 0 {
				t.Errorf("%d ready lines after the error, expected none", n)
			}
		})
	}
}

func TestProvisionKeyMaterialInAdditionalData(t *testing.T) {
	const secretEnv = "TEST_VIRGIL_DATA"

	tests := []struct {
		name     string
		template string // the additional_data value "shared"
		env      string // the value of secretEnv
		dev      bool   // use development_key

		// kind is the key material the error must name, or "" for a
		// value that must be accepted.
		kind string
	}{
		{name: "env is the App Key", template: "{env." + secretEnv + "}", env: testAppKey, kind: "the App Key"},
		{name: "inline App Key", template: testAppKey, kind: "the App Key"},
		{name: "App Key inside text", template: "key={env." + secretEnv + "};", env: testAppKey, kind: "the App Key"},
		{name: "env is another private key", template: "{env." + secretEnv + "}", env: otherPrivateKey(t), kind: "a private key"},
		{name: "env is a truncated key", template: "{env." + secretEnv + "}", env: otherPrivateKey(t)[:30], kind: "the start of an Ed25519 private key"},
		{name: "development key and private key", template: "{env." + secretEnv + "}", env: testAppKey, dev: true, kind: "a private key"},

		// Negative twins: public values are allowed, with a warning for
		// those that come from the environment.
		{name: "env is the App public key", template: "{env." + secretEnv + "}", env: testAppPublicKey},
		{name: "env is a role", template: "{env." + secretEnv + "}", env: "role-reader"},
		{name: "inline role", template: "admin"},
		{name: "request placeholder", template: "{http.request.header.X-Role}"},
		{name: "development key and role", template: "{env." + secretEnv + "}", env: "role-reader", dev: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(secretEnv, tt.env)
			h := testHandler()
			if tt.dev {
				*h = Handler{DevelopmentKey: true}
			}
			h.AdditionalData = map[string]string{"other": "x", "shared": tt.template}

			logs, err := provisionObserved(t, h)
			assertNoSecretLogged(t, err, logs, testAppKey)
			if tt.env != "" {
				assertNoSecretLogged(t, err, logs, tt.env)
			}
			if tt.kind == "" {
				if err != nil {
					t.Fatalf("provision: %v", err)
				}
				return
			}

			if err == nil {
				t.Fatal("provision succeeded, expected an error")
			}
			if prefix := `additional_data: value of "shared" contains `; !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
			if !strings.Contains(err.Error(), "contains "+tt.kind+",") {
				t.Errorf("error %q does not name %q", err, tt.kind)
			}
		})
	}
}

func TestAdditionalDataFromEnvStillPerRequest(t *testing.T) {
	// The startup check expands the value once, but tokens get the value
	// that the variable has when the request comes in.
	t.Setenv("TEST_VIRGIL_ROLE", "reader")
	h := newTestHandler(t, func(h *Handler) {
		h.AdditionalData = map[string]string{"role": "{env.TEST_VIRGIL_ROLE}"}
	})
	t.Setenv("TEST_VIRGIL_ROLE", "writer")

	r := newTokenRequest(http.MethodGet, map[string]string{"http.auth.user.id": "alice"})
	w, err := serve(h, r)
	if err != nil {
		t.Fatalf("ServeHTTP: %v", err)
	}
	tok := verifyReply(t, w, "virgilToken")
	if got := tok.Claims.AdditionalData["role"]; got != "writer" {
		t.Errorf("ada role = %v, expected the current value writer", got)
	}
}

func TestAdditionalDataWarningFields(t *testing.T) {
	tests := []struct {
		name         string
		data         map[string]string
		placeholders []string
	}{
		{name: "env and file", data: map[string]string{"a": "{env.TEST_VIRGIL_ROLE}", "b": "{file." + os.DevNull + "}"}, placeholders: []string{"{env.TEST_VIRGIL_ROLE}", "{file." + os.DevNull + "}"}},
		{name: "two in one value", data: map[string]string{"a": "{env.X}-{env.Y}"}, placeholders: []string{"{env.X}", "{env.Y}"}},
		{name: "request and system", data: map[string]string{"a": "{http.request.host}", "b": "{system.hostname}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TEST_VIRGIL_APP_KEY", testAppKey)
			h := testHandler()
			h.AppKey = "{env.TEST_VIRGIL_APP_KEY}"
			h.AdditionalData = tt.data

			logs, err := provisionObserved(t, h)
			if err != nil {
				t.Fatalf("provision: %v", err)
			}
			lines := logs.FilterMessage("additional_data reads {env.*} or {file.*}").All()
			var got []string
			for _, line := range lines {
				fields := line.ContextMap()
				placeholder, _ := fields["placeholder"].(string)
				got = append(got, placeholder)
				name, _ := fields["name"].(string)
				if tt.data[name] == "" || !strings.Contains(tt.data[name], placeholder) {
					t.Errorf("warning names entry %q, which does not contain %s", name, placeholder)
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.placeholders, " ") {
				t.Errorf("warned placeholders %q, expected %q", got, tt.placeholders)
			}
		})
	}
}

func TestDescribePrivateKeyNilAppKey(t *testing.T) {
	if got := describePrivateKey("admin", nil); got != "" {
		t.Errorf("describePrivateKey(admin) = %q, expected none", got)
	}
	if got := describePrivateKey(testAppKey, nil); got != "a private key" {
		t.Errorf("describePrivateKey(App Key) = %q, expected a private key", got)
	}
}

func TestInlineAppKeyWarning(t *testing.T) {
	tests := []struct {
		name   string
		appKey string
		warned bool
	}{
		{name: "inline", appKey: testAppKey, warned: true},
		{name: "inline PEM", appKey: "PEM", warned: true},
		{name: "env", appKey: "{env.TEST_VIRGIL_APP_KEY}"},
		{name: "file", appKey: "{file.PEM}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TEST_VIRGIL_APP_KEY", testAppKey)
			path := writeSecretFile(t, "app_key.pem", testAppKeyPEM(t))
			h := testHandler()
			h.AppKey = strings.ReplaceAll(tt.appKey, "PEM", path)
			if tt.appKey == "PEM" {
				h.AppKey = testAppKeyPEM(t)
			}

			logs, err := provisionObserved(t, h)
			if err != nil {
				t.Fatalf("provision: %v", err)
			}
			lines := logs.FilterMessage("app_key is inline in the config").All()
			if warned := len(lines) == 1; warned != tt.warned {
				t.Fatalf("%d inline warnings, expected warned = %v", len(lines), tt.warned)
			}
			if !tt.warned {
				return
			}
			note, _ := lines[0].ContextMap()["note"].(string)
			for _, text := range []string{"{$VAR}", "{env.", "{file."} {
				if !strings.Contains(note, text) {
					t.Errorf("note %q does not mention %s", note, text)
				}
			}
			assertNoSecretLogged(t, nil, logs, testAppKey)
		})
	}
}
