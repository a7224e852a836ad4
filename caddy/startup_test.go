package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/seed77c445a5/caddy-virgil-jwt/internal/caddyproc"
)

// Malformed App Keys. Each must stay out of Caddy's output like a real key.
const (
	malformedKey = "not-a-key-Zq8vR2xL0pW5mT7yB3nKs"
	truncatedKey = "MC4CAQAwBQYDK2VwBCIEIMxSaUI1QizmMvSPyTc26YsK21clGX"
)

// truncatedKeySecret is the part of truncatedKey that is secret: the
// beginning is the PKCS#8 header that every Ed25519 App Key shares.
const truncatedKeySecret = "MxSaUI1QizmMvSPyTc26YsK21clGX"

func TestStartupFailures(t *testing.T) {
	tests := []struct {
		name  string
		block string
		env   []string

		// wantOption is the option the error must name, as a whole word.
		wantOption string
		// wantText is a further substring of the error.
		wantText string
		// inReadme requires a heading of README.md's troubleshooting
		// section that the error contains.
		inReadme bool
	}{
		{
			name:       "app_key env variable empty",
			block:      credentialsBlock,
			env:        []string{"VIRGIL_APP_ID=" + testAppID, "VIRGIL_APP_KEY_ID=" + testAppKeyID, "VIRGIL_APP_KEY="},
			wantOption: "app_key",
			wantText:   "{env.VIRGIL_APP_KEY}",
			inReadme:   true,
		},
		{
			name:       "app_key env variable unset",
			block:      credentialsBlock,
			env:        []string{"VIRGIL_APP_ID=" + testAppID, "VIRGIL_APP_KEY_ID=" + testAppKeyID},
			wantOption: "app_key",
			wantText:   "{env.VIRGIL_APP_KEY}",
			inReadme:   true,
		},
		{
			name:       "app_key whitespace only",
			block:      credentialsBlock,
			env:        []string{"VIRGIL_APP_ID=" + testAppID, "VIRGIL_APP_KEY_ID=" + testAppKeyID, "VIRGIL_APP_KEY= \n"},
			wantOption: "app_key",
			wantText:   "empty",
			inReadme:   true,
		},
		{
			name:       "app_key malformed",
			block:      credentialsBlock,
			env:        []string{"VIRGIL_APP_ID=" + testAppID, "VIRGIL_APP_KEY_ID=" + testAppKeyID, "VIRGIL_APP_KEY=" + malformedKey},
			wantOption: "app_key",
		},
		{
			name:       "app_key truncated",
			block:      credentialsBlock,
			env:        []string{"VIRGIL_APP_ID=" + testAppID, "VIRGIL_APP_KEY_ID=" + testAppKeyID, "VIRGIL_APP_KEY=" + truncatedKey},
			wantOption: "app_key",
		},
		{
			name:       "app_key is the public key",
			block:      credentialsBlock,
			env:        []string{"VIRGIL_APP_ID=" + testAppID, "VIRGIL_APP_KEY_ID=" + testAppKeyID, "VIRGIL_APP_KEY=" + testAppPublicKey},
			wantOption: "app_key",
			inReadme:   true,
		},
		{
			name: "app_key file missing",
			block: `
		app_id     {env.VIRGIL_APP_ID}
		app_key_id {env.VIRGIL_APP_KEY_ID}
		app_key    {file.` + filepath.Join(t.TempDir(), "missing") + `}`,
			env:        credentialEnv,
			wantOption: "app_key",
		},
		{
			name:       "app_id env variable unset",
			block:      credentialsBlock,
			env:        []string{"VIRGIL_APP_KEY_ID=" + testAppKeyID, "VIRGIL_APP_KEY=" + testAppKey},
			wantOption: "app_id",
			wantText:   "{env.VIRGIL_APP_ID}",
		},
		{
			name:       "app_key_id env variable empty",
			block:      credentialsBlock,
			env:        []string{"VIRGIL_APP_ID=" + testAppID, "VIRGIL_APP_KEY_ID=", "VIRGIL_APP_KEY=" + testAppKey},
			wantOption: "app_key_id",
			wantText:   "{env.VIRGIL_APP_KEY_ID}",
		},
		{
			name:       "app_key missing",
			block:      "\n\t\tapp_id {env.VIRGIL_APP_ID}\n\t\tapp_key_id {env.VIRGIL_APP_KEY_ID}",
			env:        credentialEnv,
			wantOption: "app_key",
			wantText:   "missing",
			inReadme:   true,
		},
		{
			name:       "ttl at 5s",
			block:      credentialsBlock + "\n\t\tttl 5s",
			env:        credentialEnv,
			wantOption: "ttl",
			inReadme:   true,
		},
		{
			name:       "development_key with app_key",
			block:      "\n\t\tdevelopment_key\n\t\tapp_key {env.VIRGIL_APP_KEY}",
			env:        credentialEnv,
			wantOption: "development_key",
			inReadme:   true,
		},
		{
			name:       "app_id is the App Key",
			block:      credentialsBlock,
			env:        []string{"VIRGIL_APP_ID=" + testAppKey, "VIRGIL_APP_KEY_ID=" + testAppKeyID, "VIRGIL_APP_KEY=" + testAppKey},
			wantOption: "app_id",
			wantText:   "contains the App Key",
			inReadme:   true,
		},
		{
			name:       "additional_data is the App Key",
			block:      credentialsBlock + "\n\t\tadditional_data api_key {env.VIRGIL_APP_KEY}",
			env:        credentialEnv,
			wantOption: "additional_data",
			wantText:   "contains the App Key",
			inReadme:   true,
		},
		{
			name:       "unknown subdirective",
			block:      credentialsBlock + "\n\t\tapp_secret x",
			env:        credentialEnv,
			wantOption: "app_secret",
		},
	}

	headings := troubleshootingHeadings(t)
	secrets := []string{testAppKey, malformedKey, truncatedKeySecret}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caddyfile := fmt.Sprintf("localhost:%d {\n\ttls internal\n\tvirgil_jwt {%s\n\t}\n}\n",
				caddyproc.FreePort(t), tt.block)
			output := caddyproc.StartFailure(t, caddyfile, &caddyproc.Options{Env: tt.env, Secrets: secrets})
			errorLine := startupError(t, output, secrets)

			option := regexp.MustCompile(`\b` + regexp.QuoteMeta(tt.wantOption) + `\b`)
			if !option.MatchString(errorLine) {
				t.Errorf("error does not name %s: %s", tt.wantOption, redactAll(errorLine, secrets))
			}
			if !strings.Contains(errorLine, tt.wantText) {
				t.Errorf("error does not contain %q: %s", tt.wantText, redactAll(errorLine, secrets))
			}
			assertNoSecret(t, "caddy output", output, secrets...)

			if tt.inReadme && !slices.ContainsFunc(headings, func(heading string) bool {
				return strings.Contains(errorLine, heading)
			}) {
				t.Errorf("README.md has no troubleshooting heading for: %s", redactAll(errorLine, secrets))
			}
		})
	}
}

// troubleshootingHeadings returns the error texts that title the
// troubleshooting entries of README.md, each up to a trailing "...".
func troubleshootingHeadings(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatalf("reading README.md: %v", err)
	}
	var headings []string
	for line := range strings.SplitSeq(string(readme), "\n") {
		text, ok := strings.CutPrefix(line, "### `")
		if !ok {
			continue
		}
		text, _, _ = strings.Cut(text, "`")
		text = strings.TrimSuffix(text, "...")
		headings = append(headings, text)
	}
	if len(headings) == 0 {
		t.Fatal("README.md has no troubleshooting headings")
	}
	return headings
}

// TestStartupSuccessTwin starts the configuration that every case of
// TestStartupFailures breaks, so that those failures have a cause of their
// own.
func TestStartupSuccessTwin(t *testing.T) {
	caddyfile := fmt.Sprintf("localhost:%d {\n\ttls internal\n\tvirgil_jwt {%s\n\t\tttl 6s\n\t}\n}\n",
		caddyproc.FreePort(t), credentialsBlock)
	process := caddyproc.Start(t, caddyfile, &caddyproc.Options{Env: credentialEnv, Secrets: []string{testAppKey}})
	process.Stop()
	assertNoSecret(t, "caddy output", process.RawOutput(), testAppKey)
}

// startupError returns the message of the last error that Caddy logged,
// which is why `caddy run` failed to start. It fails the test if there is
// none.
func startupError(t *testing.T, output string, secrets []string) string {
	t.Helper()
	lines := strings.Split(output, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		var entry struct {
			Level   string `json:"level"`
			Message string `json:"msg"`
		}
		if json.Unmarshal([]byte(lines[i]), &entry) == nil && entry.Level == "error" {
			return entry.Message
		}
	}
	t.Fatalf("no error in caddy output:\n%s", redactAll(output, secrets))
	return ""
}

func redactAll(s string, secrets []string) string {
	for _, secret := range secrets {
		s = strings.ReplaceAll(s, secret, "[REDACTED]")
	}
	return s
}

// TestStartupInlineAppKeyWarning starts Caddy with the App Key given as
// the Caddyfile's {$VIRGIL_APP_KEY}, which the adapter substitutes before
// the handler sees it, and as {env.VIRGIL_APP_KEY}, which stays a
// placeholder in the config. Only the first is inline.
func TestStartupInlineAppKeyWarning(t *testing.T) {
	tests := []struct {
		name   string
		appKey string
		warned bool
	}{
		{name: "Caddyfile env substitution", appKey: "{$VIRGIL_APP_KEY}", warned: true},
		{name: "env placeholder", appKey: "{env.VIRGIL_APP_KEY}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			block := "\n\t\tapp_id {env.VIRGIL_APP_ID}\n\t\tapp_key_id {env.VIRGIL_APP_KEY_ID}\n\t\tapp_key " + tt.appKey
			caddyfile := fmt.Sprintf("localhost:%d {\n\ttls internal\n\tvirgil_jwt {%s\n\t}\n}\n",
				caddyproc.FreePort(t), block)
			process := caddyproc.Start(t, caddyfile, &caddyproc.Options{Env: credentialEnv, Secrets: []string{testAppKey}})
			process.Stop()

			warned := slices.ContainsFunc(process.Logs(), func(entry caddyproc.LogEntry) bool {
				return entry.Level() == "warn" && entry.Message() == "app_key is inline in the config"
			})
			if warned != tt.warned {
				t.Errorf("inline app_key warning logged = %v, expected %v", warned, tt.warned)
			}
			assertNoSecret(t, "caddy output", process.RawOutput(), testAppKey)
		})
	}
}
