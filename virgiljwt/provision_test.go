package virgiljwt

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/caddyserver/caddy/v2"

	"github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt/jwt"
)

// writeSecretFile writes content to a file in a temporary directory and
// returns its path.
func writeSecretFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func testAppKeyPEM(t *testing.T) string {
	t.Helper()
	der, err := base64.StdEncoding.DecodeString(testAppKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func TestProvisionCredentialSources(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, h *Handler)
	}{
		{
			name:  "inline",
			setup: func(t *testing.T, h *Handler) {},
		},
		{
			name: "environment",
			setup: func(t *testing.T, h *Handler) {
				t.Setenv("TEST_VIRGIL_APP_ID", testAppID)
				t.Setenv("TEST_VIRGIL_APP_KEY_ID", testAppKeyID)
				t.Setenv("TEST_VIRGIL_APP_KEY", testAppKey)
				h.AppID = "{env.TEST_VIRGIL_APP_ID}"
				h.AppKeyID = "{env.TEST_VIRGIL_APP_KEY_ID}"
				h.AppKey = "{env.TEST_VIRGIL_APP_KEY}"
			},
		},
		{
			name: "environment with surrounding whitespace",
			setup: func(t *testing.T, h *Handler) {
				t.Setenv("TEST_VIRGIL_APP_KEY", "  "+testAppKey+"\n")
				h.AppKey = "{env.TEST_VIRGIL_APP_KEY}"
			},
		},
		{
			name: "file with trailing newline",
			setup: func(t *testing.T, h *Handler) {
				h.AppID = "{file." + writeSecretFile(t, "app_id", testAppID+"\n") + "}"
				h.AppKeyID = "{file." + writeSecretFile(t, "app_key_id", testAppKeyID+"\n") + "}"
				h.AppKey = "{file." + writeSecretFile(t, "app_key", testAppKey+"\n") + "}"
			},
		},
		{
			name: "file with CRLF",
			setup: func(t *testing.T, h *Handler) {
				h.AppKey = "{file." + writeSecretFile(t, "app_key", testAppKey+"\r\n") + "}"
			},
		},
		{
			name: "file with blank lines and spaces",
			setup: func(t *testing.T, h *Handler) {
				h.AppKey = "{file." + writeSecretFile(t, "app_key", "\n  "+testAppKey+"  \n\n") + "}"
			},
		},
		{
			name: "PEM file",
			setup: func(t *testing.T, h *Handler) {
				h.AppKey = "{file." + writeSecretFile(t, "app_key.pem", testAppKeyPEM(t)) + "}"
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHandler()
			tt.setup(t, h)
			if _, err := provisionObserved(t, h); err != nil {
				t.Fatalf("provision: %v", err)
			}

			if !h.publicKey.Equal(testPublicKey(t)) {
				t.Error("provisioned App Key does not match the test App public key")
			}
			if h.signer.AppID != testAppID {
				t.Errorf("App ID = %q, expected %q", h.signer.AppID, testAppID)
			}
			if h.signer.AppKeyID != testAppKeyID {
				t.Errorf("App Key ID = %q, expected %q", h.signer.AppKeyID, testAppKeyID)
			}
		})
	}
}

func TestProvisionCredentialErrors(t *testing.T) {
	// secretEnv names an environment variable that each case sets to a
	// value that must never show in an error.
	const secretEnv = "TEST_VIRGIL_SECRET"

	tests := []struct {
		name      string
		secret    string
		configure func(t *testing.T, h *Handler)
		option    string
		cause     string
	}{
		{
			name:      "app_key env unset",
			configure: func(t *testing.T, h *Handler) { h.AppKey = "{env.TEST_VIRGIL_UNSET}" },
			option:    "app_key",
			cause:     "{env.TEST_VIRGIL_UNSET} is empty",
		},
		{
			name:      "app_key env empty",
			secret:    "",
			configure: func(t *testing.T, h *Handler) { h.AppKey = "{env." + secretEnv + "}" },
			option:    "app_key",
			cause:     "is empty",
		},
		{
			name:      "app_key env whitespace",
			secret:    " \n\t",
			configure: func(t *testing.T, h *Handler) { h.AppKey = "{env." + secretEnv + "}" },
			option:    "app_key",
			cause:     "empty after expanding",
		},
		{
			name: "app_key file missing",
			configure: func(t *testing.T, h *Handler) {
				h.AppKey = "{file." + filepath.Join(t.TempDir(), "no_such_file") + "}"
			},
			option: "app_key",
			cause:  "is empty",
		},
		{
			name:      "app_key unknown placeholder",
			configure: func(t *testing.T, h *Handler) { h.AppKey = "{vault.app_key}" },
			option:    "app_key",
			cause:     "unrecognized placeholder {vault.app_key}",
		},
		{
			name:      "app_key malformed",
			secret:    testAppKey[:len(testAppKey)-6],
			configure: func(t *testing.T, h *Handler) { h.AppKey = "{env." + secretEnv + "}" },
			option:    "app_key",
			cause:     "invalid key",
		},
		{
			name:      "app_key not base64",
			secret:    "correct horse battery staple",
			configure: func(t *testing.T, h *Handler) { h.AppKey = "{env." + secretEnv + "}" },
			option:    "app_key",
			cause:     "invalid key",
		},
		{
			name:      "app_key is a public key",
			secret:    testAppPublicKey,
			configure: func(t *testing.T, h *Handler) { h.AppKey = "{env." + secretEnv + "}" },
			option:    "app_key",
			cause:     "public key",
		},
		{
			name:      "app_key missing",
			configure: func(t *testing.T, h *Handler) { h.AppKey = "" },
			option:    "app_key",
			cause:     "missing",
		},
		{
			name:      "app_id missing",
			configure: func(t *testing.T, h *Handler) { h.AppID = "" },
			option:    "app_id",
			cause:     "missing",
		},
		{
			name:      "app_id env empty",
			secret:    "",
			configure: func(t *testing.T, h *Handler) { h.AppID = "{env." + secretEnv + "}" },
			option:    "app_id",
			cause:     "is empty",
		},
		{
			name:      "app_id not UTF-8",
			secret:    "\xff\xfe",
			configure: func(t *testing.T, h *Handler) { h.AppID = "{env." + secretEnv + "}" },
			option:    "app_id",
			cause:     "UTF-8",
		},
		{
			name:      "app_key_id missing",
			configure: func(t *testing.T, h *Handler) { h.AppKeyID = "" },
			option:    "app_key_id",
			cause:     "missing",
		},
		{
			name: "app_key_id file missing",
			configure: func(t *testing.T, h *Handler) {
				h.AppKeyID = "{file." + filepath.Join(t.TempDir(), "absent") + "}"
			},
			option: "app_key_id",
			cause:  "is empty",
		},
		{
			name:      "development_key with app_key",
			configure: func(t *testing.T, h *Handler) { h.DevelopmentKey = true },
			option:    "development_key",
			cause:     "cannot be combined",
		},
		{
			name: "development_key with app_id only",
			configure: func(t *testing.T, h *Handler) {
				*h = Handler{AppID: testAppID, DevelopmentKey: true}
			},
			option: "development_key",
			cause:  "cannot be combined",
		},
		{
			name: "development_key with app_key that expands empty",
			configure: func(t *testing.T, h *Handler) {
				*h = Handler{AppKey: "{env.TEST_VIRGIL_UNSET}", DevelopmentKey: true}
			},
			option: "development_key",
			cause:  "cannot be combined",
		},
		{
			name:      "no credentials at all",
			configure: func(t *testing.T, h *Handler) { *h = Handler{} },
			option:    "app_id",
			cause:     "development_key",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(secretEnv, tt.secret)
			h := testHandler()
			tt.configure(t, h)

			logs, err := provisionObserved(t, h)
			if err == nil {
				t.Fatal("provision succeeded, expected an error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.option) {
				t.Errorf("error %q does not name the option %s", msg, tt.option)
			}
			if !strings.Contains(msg, tt.cause) {
				t.Errorf("error %q does not contain the cause %q", msg, tt.cause)
			}
			if strings.Contains(msg, testAppKey) || strings.Contains(msg, testAppKey[:20]) {
				t.Errorf("error %q contains the App Key", msg)
			}
			if strings.TrimSpace(tt.secret) != "" && strings.Contains(msg, tt.secret) {
				t.Errorf("error %q contains the expanded value", msg)
			}
			if h.signer.AppKey != nil {
				t.Error("handler has an App Key after a failed provision")
			}
			if n := logs.FilterMessage("Virgil token handler ready").Len(); n != 0 {
				t.Errorf("logged ready %d times after a failed provision", n)
			}
		})
	}
}

func TestProvisionDefaults(t *testing.T) {
	h := newTestHandler(t, nil)

	if h.Identity != "{http.auth.user.id}" {
		t.Errorf("identity = %q, expected {http.auth.user.id}", h.Identity)
	}
	if time.Duration(h.TTL) != 20*time.Minute {
		t.Errorf("ttl = %v, expected 20m", time.Duration(h.TTL))
	}
	if h.TokenField != "virgilToken" {
		t.Errorf("token_field = %q, expected virgilToken", h.TokenField)
	}
}

func TestProvisionThroughCaddyContext(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	t.Setenv("TEST_VIRGIL_APP_KEY", testAppKey)
	h := testHandler()
	h.AppKey = "{env.TEST_VIRGIL_APP_KEY}"

	if err := h.Provision(ctx); err != nil {
		t.Fatalf("Provision: %v", err)
	}
	if err := h.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if h.logger == nil {
		t.Error("Provision left the logger nil")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name      string
		configure func(h *Handler)
		errText   string
	}{
		{name: "defaults", configure: func(h *Handler) {}},
		{name: "ttl 6s", configure: func(h *Handler) { h.TTL = caddy.Duration(6 * time.Second) }},
		{name: "ttl 5s", configure: func(h *Handler) { h.TTL = caddy.Duration(5 * time.Second) }, errText: "ttl: 5s is too short"},
		{name: "ttl 1s", configure: func(h *Handler) { h.TTL = caddy.Duration(time.Second) }, errText: "too short"},
		{name: "ttl negative", configure: func(h *Handler) { h.TTL = caddy.Duration(-time.Minute) }, errText: "ttl: -1m0s is not a positive duration"},
		{name: "ttl 1ns", configure: func(h *Handler) { h.TTL = caddy.Duration(1) }, errText: "ttl: 1ns is too short"},
		{name: "ttl 1500ms", configure: func(h *Handler) { h.TTL = caddy.Duration(1500 * time.Millisecond) }, errText: "too short"},
		{name: "ttl 90.5s", configure: func(h *Handler) { h.TTL = caddy.Duration(90500 * time.Millisecond) }, errText: "not a whole number of seconds"},
		{name: "ttl 1ns over a minute", configure: func(h *Handler) { h.TTL = caddy.Duration(time.Minute + 1) }, errText: "not a whole number of seconds"},
		{name: "ttl 48h", configure: func(h *Handler) { h.TTL = caddy.Duration(48 * time.Hour) }},
		{name: "identity literal", configure: func(h *Handler) { h.Identity = "service-account" }},
		{name: "identity whitespace", configure: func(h *Handler) { h.Identity = "  " }, errText: "identity: value is empty or whitespace only"},
		{name: "identity not UTF-8", configure: func(h *Handler) { h.Identity = "{http.auth.user.id}\xff" }, errText: "identity: value is not valid UTF-8"},
		{name: "additional_data", configure: func(h *Handler) { h.AdditionalData = map[string]string{"role": "{http.auth.user.role}"} }},
		{name: "additional_data empty name", configure: func(h *Handler) { h.AdditionalData = map[string]string{"": "x"} }, errText: "additional_data: name must not be empty"},
		{name: "additional_data name not UTF-8", configure: func(h *Handler) { h.AdditionalData = map[string]string{"\xff": "x"} }, errText: "additional_data: name"},
		{name: "additional_data value not UTF-8", configure: func(h *Handler) { h.AdditionalData = map[string]string{"role": "\xff"} }, errText: `additional_data: value of "role"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHandler()
			tt.configure(h)

			_, err := provisionObserved(t, h)
			if tt.errText == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, expected one containing %q", tt.errText)
			}
			if !strings.Contains(err.Error(), tt.errText) {
				t.Errorf("error %q does not contain %q", err, tt.errText)
			}
		})
	}
}

func TestProvisionTokenFieldNotUTF8(t *testing.T) {
	h := testHandler()
	h.TokenField = "token\xff"

	_, err := provisionObserved(t, h)
	if err == nil || !strings.Contains(err.Error(), "token_field") {
		t.Errorf("error = %v, expected one naming token_field", err)
	}
}

// warnings returns the messages of the Warn lines in logs.
func warnings(logs *observer.ObservedLogs) []string {
	var messages []string
	for _, entry := range logs.FilterLevelExact(zap.WarnLevel).All() {
		messages = append(messages, entry.Message)
	}
	return messages
}

func TestProvisionWarnings(t *testing.T) {
	tests := []struct {
		name      string
		configure func(h *Handler)
		expected  string // substring of the one expected Warn, or "" for none
	}{
		{name: "test credentials", configure: func(h *Handler) {}},
		{name: "app_id 32 hex", configure: func(h *Handler) { h.AppID = strings.Repeat("a1", 16) }},
		{name: "app_id 64 uppercase hex", configure: func(h *Handler) { h.AppID = strings.ToUpper(testAppID) }},
		{name: "app_id not hex", configure: func(h *Handler) { h.AppID = "my-app" }, expected: "app_id does not look like"},
		{name: "app_id 40 hex", configure: func(h *Handler) { h.AppID = strings.Repeat("ab", 20) }, expected: "app_id does not look like"},
		{name: "app_key_id 32 hex", configure: func(h *Handler) { h.AppKeyID = strings.Repeat("0f", 16) }},
		{name: "app_key_id 64 hex", configure: func(h *Handler) { h.AppKeyID = testAppID }, expected: "app_key_id does not look like"},
		{name: "app_key_id with g", configure: func(h *Handler) { h.AppKeyID = "g" + testAppKeyID[1:] }, expected: "app_key_id does not look like"},
		{name: "identity user id", configure: func(h *Handler) { h.Identity = "{http.auth.user.id}" }},
		{name: "identity email", configure: func(h *Handler) { h.Identity = "{http.auth.user.email}" }, expected: "e-mail"},
		{name: "identity mail header", configure: func(h *Handler) { h.Identity = "{http.request.header.X-User-Mail}" }, expected: "e-mail"},
		{name: "identity email in template", configure: func(h *Handler) { h.Identity = "u-{http.auth.user.Email}" }, expected: "e-mail"},
		{name: "identity literal", configure: func(h *Handler) { h.Identity = "everyone" }, expected: "contains no placeholder"},
		{name: "identity escaped braces only", configure: func(h *Handler) { h.Identity = `\{http.auth.user.id\}` }, expected: "contains no placeholder"},
		{name: "ttl 24h", configure: func(h *Handler) { h.TTL = caddy.Duration(24 * time.Hour) }},
		{name: "ttl 25h", configure: func(h *Handler) { h.TTL = caddy.Duration(25 * time.Hour) }, expected: "longer than 24h"},
		{name: "app_key from env", configure: func(h *Handler) { h.AppKey = "{env.TEST_VIRGIL_APP_KEY}" }},
		{name: "app_key inline", configure: func(h *Handler) { h.AppKey = testAppKey }, expected: "app_key is inline in the config"},
		{name: "development_key", configure: func(h *Handler) { *h = Handler{DevelopmentKey: true} }, expected: "throwaway development App Key"},
		{name: "additional_data from header", configure: func(h *Handler) { h.AdditionalData = map[string]string{"role": "{http.request.header.X-Role}"} }},
		{name: "additional_data literal", configure: func(h *Handler) { h.AdditionalData = map[string]string{"role": "admin"} }},
		{name: "additional_data escaped env", configure: func(h *Handler) { h.AdditionalData = map[string]string{"role": `\{env.ROLE\}`} }},
		{name: "additional_data from env", configure: func(h *Handler) { h.AdditionalData = map[string]string{"role": "{env.ROLE}"} }, expected: "additional_data reads"},
		{name: "additional_data from file", configure: func(h *Handler) { h.AdditionalData = map[string]string{"role": "r-{file." + os.DevNull + "}"} }, expected: "additional_data reads"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The App Key comes from the environment unless a case sets
			// it inline, which is a warning of its own.
			t.Setenv("TEST_VIRGIL_APP_KEY", testAppKey)
			h := testHandler()
			h.AppKey = "{env.TEST_VIRGIL_APP_KEY}"
			tt.configure(h)

			logs, err := provisionObserved(t, h)
			if err != nil {
				t.Fatalf("provision: %v", err)
			}
			got := warnings(logs)
			if tt.expected == "" {
				if len(got) != 0 {
					t.Errorf("warnings %q, expected none", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("warnings %q, expected one containing %q", got, tt.expected)
			}
			if !strings.Contains(got[0], tt.expected) {
				t.Errorf("warning %q does not contain %q", got[0], tt.expected)
			}
		})
	}
}

func TestProvisionReadyLine(t *testing.T) {
	h := testHandler()
	logs, err := provisionObserved(t, h)
	if err != nil {
		t.Fatalf("provision: %v", err)
	}

	ready := logs.FilterMessage("Virgil token handler ready").All()
	if len(ready) != 1 {
		t.Fatalf("%d ready lines, expected 1", len(ready))
	}
	if ready[0].Level != zap.InfoLevel {
		t.Errorf("ready line at %v, expected info", ready[0].Level)
	}
	fields := ready[0].ContextMap()

	der, err := base64.StdEncoding.DecodeString(testAppPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(der)
	if got, expected := fields["app_public_key_sha256"], hex.EncodeToString(digest[:]); got != expected {
		t.Errorf("app_public_key_sha256 = %v, expected %s", got, expected)
	}
	if got := fields["app_key_id"]; got != testAppKeyID {
		t.Errorf("app_key_id = %v, expected %s", got, testAppKeyID)
	}
	if got := fields["ttl"]; got != "20m0s" {
		t.Errorf("ttl = %v, expected the duration string 20m0s", got)
	}
	if strings.Contains(entryText(ready[0]), testAppKey) {
		t.Error("ready line contains the App Key")
	}
}

func TestProvisionDevelopmentKey(t *testing.T) {
	h := &Handler{DevelopmentKey: true, now: func() time.Time { return testNow }}
	logs, err := provisionObserved(t, h)
	if err != nil {
		t.Fatalf("provision: %v", err)
	}

	devLines := logs.FilterMessage("using a throwaway development App Key").All()
	if len(devLines) != 1 {
		t.Fatalf("%d development key lines, expected 1", len(devLines))
	}
	if devLines[0].Level != zap.WarnLevel {
		t.Errorf("development key line at %v, expected warn", devLines[0].Level)
	}
	fields := devLines[0].ContextMap()
	if note, _ := fields["note"].(string); !strings.Contains(note, "Virgil's service rejects") {
		t.Errorf("note = %q, expected it to say that Virgil's service rejects the tokens", note)
	}
	appID, _ := fields["app_id"].(string)
	appKeyID, _ := fields["app_key_id"].(string)
	publicKeyText, _ := fields["app_public_key"].(string)
	for name, value := range map[string]string{"app_id": appID, "app_key_id": appKeyID} {
		if !strings.HasPrefix(value, "dev-") || len(value) != len("dev-")+32 {
			t.Errorf("%s = %q, expected dev- and 32 hexadecimal characters", name, value)
		}
	}
	publicKey, err := jwt.ParsePublicKey([]byte(publicKeyText))
	if err != nil {
		t.Fatalf("logged app_public_key does not import: %v", err)
	}

	// The logged public key and App Key ID verify the handler's tokens.
	r := newTokenRequest(http.MethodGet, map[string]string{"http.auth.user.id": "alice"})
	w, err := serve(h, r)
	if err != nil {
		t.Fatalf("ServeHTTP: %v", err)
	}
	var reply struct {
		VirgilToken string `json:"virgilToken"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &reply); err != nil {
		t.Fatal(err)
	}
	verifier := jwt.Verifier{AppPublicKey: publicKey, AppKeyID: appKeyID, Now: func() time.Time { return testNow }}
	tok, err := verifier.Verify(reply.VirgilToken)
	if err != nil {
		t.Fatalf("verifying development token with the logged key: %v", err)
	}
	if tok.AppID() != appID {
		t.Errorf("token App ID = %q, expected the logged %q", tok.AppID(), appID)
	}

	// The test App public key must not verify it.
	other := jwt.Verifier{AppPublicKey: testPublicKey(t), AppKeyID: appKeyID, Now: func() time.Time { return testNow }}
	if _, err := other.Verify(reply.VirgilToken); !errors.Is(err, jwt.ErrSignature) {
		t.Errorf("verifying with another key: error = %v, expected ErrSignature", err)
	}
}

func TestProvisionDevelopmentKeyIsFresh(t *testing.T) {
	first := newTestHandler(t, func(h *Handler) { *h = Handler{DevelopmentKey: true} })
	second := newTestHandler(t, func(h *Handler) { *h = Handler{DevelopmentKey: true} })

	if first.publicKey.Equal(second.publicKey) {
		t.Error("two development keys are equal")
	}
	if first.signer.AppKeyID == second.signer.AppKeyID {
		t.Error("two development App Key IDs are equal")
	}
	if len(first.publicKey) != ed25519.PublicKeySize {
		t.Errorf("public key has %d bytes, expected %d", len(first.publicKey), ed25519.PublicKeySize)
	}
}

func TestProvisionReadyOnlyWhenValid(t *testing.T) {
	tests := []struct {
		name      string
		configure func(h *Handler)
		valid     bool
	}{
		{name: "ttl 1h", configure: func(h *Handler) { h.TTL = caddy.Duration(time.Hour) }, valid: true},
		{name: "ttl negative", configure: func(h *Handler) { h.TTL = caddy.Duration(-time.Hour) }},
		{name: "ttl fractional", configure: func(h *Handler) { h.TTL = caddy.Duration(time.Hour + time.Millisecond) }},
		{name: "identity placeholder", configure: func(h *Handler) { h.Identity = "{http.request.header.X-User-Id}" }, valid: true},
		{name: "identity whitespace", configure: func(h *Handler) { h.Identity = " " }},
		{name: "additional_data named", configure: func(h *Handler) { h.AdditionalData = map[string]string{"role": "admin"} }, valid: true},
		{name: "additional_data unnamed", configure: func(h *Handler) { h.AdditionalData = map[string]string{"": "admin"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHandler()
			tt.configure(h)

			// Only provision, as Caddy does before it calls Validate.
			core, logs := observer.New(zap.DebugLevel)
			err := h.provision(zap.New(core))
			ready := logs.FilterMessage("Virgil token handler ready").Len()

			if tt.valid {
				if err != nil {
					t.Fatalf("provision: %v", err)
				}
				if ready != 1 {
					t.Errorf("%d ready lines, expected 1", ready)
				}
				return
			}
			if err == nil {
				t.Fatal("provision succeeded, expected an error")
			}
			if ready != 0 {
				t.Errorf("%d ready lines before the error %q, expected none", ready, err)
			}
		})
	}
}

func TestProvisionLogWording(t *testing.T) {
	tests := []struct {
		name      string
		configure func(h *Handler)
		warnings  int
	}{
		{
			name: "development key, e-mail identity, long ttl",
			configure: func(h *Handler) {
				*h = Handler{DevelopmentKey: true, Identity: "{http.auth.user.email}", TTL: caddy.Duration(48 * time.Hour)}
			},
			warnings: 3,
		},
		{
			name: "odd IDs, literal identity",
			configure: func(h *Handler) {
				h.AppID = "my-app"
				h.AppKeyID = "my-key"
				h.Identity = "everyone"
			},
			warnings: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TEST_VIRGIL_APP_KEY", testAppKey)
			h := testHandler()
			h.AppKey = "{env.TEST_VIRGIL_APP_KEY}"
			tt.configure(h)

			logs, err := provisionObserved(t, h)
			if err != nil {
				t.Fatalf("provision: %v", err)
			}
			if n := len(warnings(logs)); n != tt.warnings {
				t.Errorf("%d warnings, expected %d", n, tt.warnings)
			}

			// Caddy's style: one short phrase as the message, with the
			// details in fields.
			for _, entry := range logs.All() {
				message := entry.Message
				if strings.Contains(message, ". ") || strings.HasSuffix(message, ".") {
					t.Errorf("message %q has more than one sentence", message)
				}
				if len(message) > 50 {
					t.Errorf("message %q is longer than 50 characters", message)
				}
				if message != strings.ToLower(message[:1])+message[1:] && !strings.HasPrefix(message, "Virgil") {
					t.Errorf("message %q starts with a capital letter", message)
				}
				if ttl, ok := entry.ContextMap()["ttl"]; ok {
					if _, isString := ttl.(string); !isString {
						t.Errorf("%q: ttl field is %T, expected a duration string", message, ttl)
					}
				}
			}
		})
	}
}
