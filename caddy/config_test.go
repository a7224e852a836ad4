package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/seed77c445a5/caddy-virgil-jwt/internal/caddyproc"
)

// examplesBinaryEnv names the environment variable with the path of a Caddy
// that also has the plugins some examples use, built by
// examples/build-caddy.sh.
const examplesBinaryEnv = "VIRGILJWT_EXAMPLES_CADDY"

// exampleCaddyfiles returns Caddyfile.example and every Caddyfile under
// examples/, relative to the repository root.
func exampleCaddyfiles(t *testing.T, root string) []string {
	t.Helper()
	paths := []string{"Caddyfile.example"}
	err := filepath.WalkDir(filepath.Join(root, "examples"), func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if entry.IsDir() && entry.Name() == "node_modules" {
			return filepath.SkipDir
		}
		if !entry.IsDir() && (entry.Name() == "Caddyfile" || strings.HasSuffix(entry.Name(), ".Caddyfile")) {
			relative, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			paths = append(paths, relative)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking examples/: %v", err)
	}
	return paths
}

// exampleEnv returns the environment variables that the example
// Caddyfiles read, with test values.
func exampleEnv(t *testing.T) []string {
	t.Helper()
	hash := hashPassword(t, "example-password")
	return append(slices.Clone(credentialEnv),
		"ALICE_PASSWORD_HASH="+hash,
		"BOB_PASSWORD_HASH="+hash,
		"APP_JWT_SHARED_KEY=example-shared-key-for-tests-only",
	)
}

// TestExampleCaddyfiles runs `caddy adapt` and `caddy validate` on every
// Caddyfile that the repository ships. validate also provisions every
// module, so the handler expands and imports the credentials, but it
// starts no server and obtains no certificate.
func TestExampleCaddyfiles(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatalf("locating the repository root: %v", err)
	}
	options := &caddyproc.Options{
		Binary:  os.Getenv(examplesBinaryEnv),
		Env:     exampleEnv(t),
		Secrets: []string{testAppKey},
	}

	for _, path := range exampleCaddyfiles(t, root) {
		t.Run(path, func(t *testing.T) {
			config := filepath.Join(root, path)
			output, err := caddyproc.Run(t, options, "adapt", "--config", config, "--adapter", "caddyfile")
			if err != nil && strings.Contains(output, "unrecognized") && options.Binary == "" {
				message := path + " needs plugins that ./caddy lacks: run examples/build-caddy.sh /tmp/caddy-examples and set " +
					examplesBinaryEnv + "=/tmp/caddy-examples"
				if os.Getenv("CI") != "" {
					t.Fatal(message)
				}
				t.Skip("skipping: " + message)
			}
			if err != nil {
				t.Fatalf("caddy adapt: %v\n%s", err, output)
			}
			assertNoSecret(t, "caddy adapt output", output, testAppKey)
			if strings.Contains(output, "not formatted") {
				t.Errorf("%s is not formatted: run caddy fmt --overwrite %s", path, path)
			}

			output, err = caddyproc.Run(t, options, "validate", "--config", config, "--adapter", "caddyfile")
			if err != nil {
				t.Fatalf("caddy validate: %v\n%s", err, output)
			}
			if !strings.Contains(output, "Valid configuration") {
				t.Errorf("caddy validate did not report a valid configuration:\n%s", output)
			}
			assertNoSecret(t, "caddy validate output", output, testAppKey)
		})
	}
}

// TestAdaptKeepsSecretOut shows why secrets belong in {env.*} placeholders,
// which Caddy expands at provisioning, rather than in {$VAR}, which the
// Caddyfile adapter substitutes into the JSON config itself.
func TestAdaptKeepsSecretOut(t *testing.T) {
	tests := []struct {
		name       string
		appKey     string
		wantSecret bool
	}{
		{name: "env placeholder", appKey: "{env.VIRGIL_APP_KEY}", wantSecret: false},
		{name: "Caddyfile environment variable", appKey: "{$VIRGIL_APP_KEY}", wantSecret: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			config := filepath.Join(t.TempDir(), "Caddyfile")
			caddyfile := "localhost:8443 {\n\tvirgil_jwt {\n" +
				"\t\tapp_id {env.VIRGIL_APP_ID}\n" +
				"\t\tapp_key_id {env.VIRGIL_APP_KEY_ID}\n" +
				"\t\tapp_key " + tt.appKey + "\n\t}\n}\n"
			if err := os.WriteFile(config, []byte(caddyfile), 0o600); err != nil {
				t.Fatalf("writing Caddyfile: %v", err)
			}

			options := &caddyproc.Options{Env: credentialEnv}
			output, err := caddyproc.Run(t, options, "adapt", "--config", config, "--adapter", "caddyfile")
			if err != nil {
				t.Fatalf("caddy adapt: %v\n%s", err, redactAll(output, []string{testAppKey}))
			}
			if got := strings.Contains(output, testAppKey); got != tt.wantSecret {
				t.Errorf("adapt output contains the App Key = %v, want %v", got, tt.wantSecret)
			}
		})
	}
}

// TestListModules builds ./caddy without cgo, as xcaddy does, and checks
// that the binary contains the handler.
func TestListModules(t *testing.T) {
	binary := caddyproc.Build(t, t.TempDir())
	output, err := caddyproc.Run(t, &caddyproc.Options{Binary: binary}, "list-modules")
	if err != nil {
		t.Fatalf("caddy list-modules: %v\n%s", err, output)
	}

	modules := strings.Fields(output)
	if !slices.Contains(modules, "http.handlers.virgil_jwt") {
		t.Errorf("list-modules lacks http.handlers.virgil_jwt:\n%s", output)
	}
	if !slices.Contains(modules, "http.authentication.providers.http_basic") {
		t.Errorf("list-modules lacks the standard modules:\n%s", output)
	}
}

// TestReadmeJSON checks that every JSON block of README.md parses, and
// that each one that is a Caddy config passes `caddy validate`.
func TestReadmeJSON(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatalf("reading README.md: %v", err)
	}
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no JSON block")
	}

	options := &caddyproc.Options{Env: exampleEnv(t), Secrets: []string{testAppKey}}
	configs := 0
	for i, block := range blocks {
		t.Run(fmt.Sprintf("block %d", i+1), func(t *testing.T) {
			text := block[1]
			var config map[string]any
			if err := json.Unmarshal([]byte(text), &config); err != nil {
				t.Fatalf("invalid JSON: %v\n%s", err, text)
			}
			if _, ok := config["apps"]; !ok {
				return
			}
			configs++

			path := filepath.Join(t.TempDir(), "caddy.json")
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatalf("writing config: %v", err)
			}
			output, err := caddyproc.Run(t, options, "validate", "--config", path)
			if err != nil {
				t.Fatalf("caddy validate: %v\n%s", err, redactAll(output, options.Secrets))
			}
			assertNoSecret(t, "caddy validate output", output, testAppKey)
		})
	}
	if configs == 0 {
		t.Error("README.md has no JSON block with a Caddy config")
	}
}
