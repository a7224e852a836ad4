package examples_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/seed77c445a5/caddy-virgil-jwt/internal/caddyproc"
	"github.com/seed77c445a5/caddy-virgil-jwt/internal/jssdk"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// requireBrowser skips the test, or fails it when the CI environment
// variable is set, unless headless Chromium can run through playwright-core.
func requireBrowser(t *testing.T) {
	t.Helper()
	jssdk.Require(t)
	var missing string
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = chromiumPath + " not found: run apt-get install chromium"
	} else if _, err := os.Stat(filepath.Join("cors", "browser", "node_modules", "playwright-core")); err != nil {
		missing = "npm package playwright-core not installed: run npm ci --prefix examples/cors/browser"
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal(missing)
	}
	t.Skip("skipping: " + missing)
}

// pageResult is what the example page reports after fetching a token.
type pageResult struct {
	Identity string   `json:"identity"`
	Expired  bool     `json:"expired"`
	Error    string   `json:"error"`
	Console  []string `json:"console"`
}

// openPage loads pageURL in headless Chromium, which trusts only the
// certificates of the given public keys, and returns the page's result.
func openPage(t *testing.T, pageURL string, spkiHashes []string) pageResult {
	t.Helper()
	cmd := exec.Command("node", "open-page.js", pageURL, strings.Join(spkiHashes, ","))
	cmd.Dir = filepath.Join("cors", "browser")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	output, err := cmd.Output()
	if err != nil {
		t.Fatalf("opening %s in Chromium: %v\n%s", pageURL, err, stderr.String())
	}
	var result pageResult
	if err := json.Unmarshal(output, &result); err != nil {
		t.Fatalf("decoding the page result %q: %v", output, err)
	}
	return result
}

// localCAHashes returns the base64 SHA-256 hashes of the public keys of
// the root and intermediate certificates of Caddy's local CA.
func localCAHashes(t *testing.T, p *caddyproc.Process) []string {
	t.Helper()
	var hashes []string
	for _, name := range []string{"root.crt", "intermediate.crt"} {
		path := filepath.Join(p.DataDir, "caddy", "pki", "authorities", "local", name)
		content, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("reading Caddy's local CA: %v", err)
		}
		block, _ := pem.Decode(content)
		if block == nil {
			t.Fatalf("no PEM block in %s", path)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("parsing %s: %v", path, err)
		}
		sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
		hashes = append(hashes, base64.StdEncoding.EncodeToString(sum[:]))
	}
	return hashes
}

// pageSites returns test-only site blocks that serve the example page
// from {$PAGE_ROOT} on the app origin and on another origin.
func pageSites(appPort, otherPort int) string {
	var sites strings.Builder
	for _, address := range []string{
		"https://localhost:" + strconv.Itoa(appPort),
		"https://127.0.0.1:" + strconv.Itoa(otherPort),
	} {
		sites.WriteString("\n" + address + " {\n\troot * {$PAGE_ROOT}\n\tfile_server\n}\n")
	}
	return sites.String()
}

// copyFile copies the file at from to the folder dir.
func copyFile(t *testing.T, from, dir string) {
	t.Helper()
	content, err := os.ReadFile(from)
	if err != nil {
		t.Fatalf("reading %s: %v", from, err)
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.Base(from)), content, 0o644); err != nil {
		t.Fatalf("copying %s: %v", from, err)
	}
}

func TestCORSExample(t *testing.T) {
	binary := standardBinary(t)
	const alicePassword = "alice's browser password"

	// The page loads virgil-sdk's browser bundle from the SDK's npm
	// packages, so the test cannot run without them.
	jssdk.Require(t)
	pageRoot := t.TempDir()
	copyFile(t, filepath.Join("cors", "page", "index.html"), pageRoot)
	copyFile(t, filepath.Join(jssdk.Dir(), "node_modules", "virgil-sdk", "dist", "virgil-sdk.browser.umd.js"), pageRoot)

	apiPort, appPort, otherPort := caddyproc.FreePort(t), caddyproc.FreePort(t), caddyproc.FreePort(t)
	appOrigin := "https://localhost:" + strconv.Itoa(appPort)
	otherOrigin := "https://127.0.0.1:" + strconv.Itoa(otherPort)
	endpoint := "https://localhost:" + strconv.Itoa(apiPort) + "/virgil-jwt"
	env := append(credentialsEnv(),
		"API_ADDRESS=localhost:"+strconv.Itoa(apiPort),
		"APP_ORIGIN="+appOrigin,
		"PAGE_ROOT="+pageRoot,
		"ALICE_PASSWORD_HASH="+hashPassword(t, binary, alicePassword),
	)
	secrets := []string{testAppKey, alicePassword}
	caddyfile := readCaddyfile(t, "cors") + pageSites(appPort, otherPort)
	p := caddyproc.Start(t, caddyfile, &caddyproc.Options{Binary: binary, Env: env, Secrets: secrets})
	client := p.Client()

	request := func(method, origin string, login bool, headers ...string) tokenResponse {
		req := newRequest(t, method, endpoint)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if login {
			req.SetBasicAuth("alice", alicePassword)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		return fetch(t, client, req)
	}
	preflight := []string{"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization"}

	t.Run("preflight from app origin", func(t *testing.T) {
		resp := request(http.MethodOptions, appOrigin, false, preflight...)
		assertNoToken(t, resp, http.StatusNoContent)
		assertCORSHeaders(t, resp, appOrigin)
		if got := resp.header.Get("Access-Control-Allow-Headers"); !strings.Contains(strings.ToLower(got), "authorization") {
			t.Errorf("Access-Control-Allow-Headers = %q, want Authorization", got)
		}
		if got := resp.header.Get("Access-Control-Allow-Methods"); !strings.Contains(got, "GET") {
			t.Errorf("Access-Control-Allow-Methods = %q, want GET", got)
		}
		if got := resp.header.Get("WWW-Authenticate"); got != "" {
			t.Errorf("preflight reached basic_auth: WWW-Authenticate = %q", got)
		}
	})
	t.Run("preflight from other origin", func(t *testing.T) {
		resp := request(http.MethodOptions, otherOrigin, false, preflight...)
		assertNoToken(t, resp, http.StatusNoContent)
		assertNoCORSHeaders(t, resp)
	})
	t.Run("GET from app origin", func(t *testing.T) {
		resp := request(http.MethodGet, appOrigin, true)
		assertToken(t, resp, "alice")
		assertCORSHeaders(t, resp, appOrigin)
	})
	t.Run("GET from app origin without login", func(t *testing.T) {
		resp := request(http.MethodGet, appOrigin, false)
		assertNoToken(t, resp, http.StatusUnauthorized)
		assertCORSHeaders(t, resp, appOrigin)
		if got := resp.header.Get("WWW-Authenticate"); got != "" {
			t.Errorf("401 carries the challenge %q, on which browsers show a login dialog", got)
		}
	})
	t.Run("GET from other origin", func(t *testing.T) {
		resp := request(http.MethodGet, otherOrigin, true)
		assertNoCORSHeaders(t, resp)
	})
	t.Run("OPTIONS without preflight header", func(t *testing.T) {
		resp := request(http.MethodOptions, appOrigin, false)
		assertNoToken(t, resp, http.StatusUnauthorized)
	})

	requireBrowser(t)
	spkiHashes := localCAHashes(t, p)
	pageURL := func(origin, login string) string {
		query := url.Values{"endpoint": {endpoint}, "login": {login}}
		return origin + "/index.html?" + query.Encode()
	}

	t.Run("browser on app origin", func(t *testing.T) {
		result := openPage(t, pageURL(appOrigin, "alice:"+alicePassword), spkiHashes)
		if result.Identity != "alice" {
			t.Errorf("page identity = %q, want alice; error %q, console %q", result.Identity, result.Error, result.Console)
		}
		if result.Expired {
			t.Error("the SDK finds the new token expired")
		}
	})
	t.Run("browser on app origin, wrong password", func(t *testing.T) {
		result := openPage(t, pageURL(appOrigin, "alice:wrong"), spkiHashes)
		if result.Identity != "" {
			t.Errorf("page got a token for %q with a wrong password", result.Identity)
		}
		if !strings.Contains(result.Error, "status 401") {
			t.Errorf("page error = %q, want the 401 readable through CORS", result.Error)
		}
	})
	t.Run("browser on other origin", func(t *testing.T) {
		result := openPage(t, pageURL(otherOrigin, "alice:"+alicePassword), spkiHashes)
		if result.Identity != "" {
			t.Errorf("page on %s read a token for %q", otherOrigin, result.Identity)
		}
		if !strings.Contains(result.Error, "Failed to fetch") {
			t.Errorf("page error = %q, want the browser's CORS failure; console %q", result.Error, result.Console)
		}
	})

	p.Stop()
	assertNoSecrets(t, p, secrets...)
}

// assertCORSHeaders checks that resp allows origin to read it with
// credentials.
func assertCORSHeaders(t *testing.T, resp tokenResponse, origin string) {
	t.Helper()
	if got := resp.header.Get("Access-Control-Allow-Origin"); got != origin {
		t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, origin)
	}
	if got := resp.header.Get("Access-Control-Allow-Credentials"); got != "true" {
		t.Errorf("Access-Control-Allow-Credentials = %q, want true", got)
	}
	if got := resp.header.Values("Vary"); !containsFold(got, "Origin") {
		t.Errorf("Vary = %q, want Origin", got)
	}
}

// assertNoCORSHeaders checks that resp allows no other origin to read it.
func assertNoCORSHeaders(t *testing.T, resp tokenResponse) {
	t.Helper()
	for name := range resp.header {
		if strings.HasPrefix(http.CanonicalHeaderKey(name), "Access-Control-") {
			t.Errorf("response has CORS header %s: %q", name, resp.header.Get(name))
		}
	}
}

func containsFold(values []string, want string) bool {
	for _, value := range values {
		for _, item := range strings.Split(value, ",") {
			if strings.EqualFold(strings.TrimSpace(item), want) {
				return true
			}
		}
	}
	return false
}
