// Package caddyproc runs real Caddy processes for tests.
//
// [Start] writes a Caddyfile to a temporary directory, starts
// `caddy run --config Caddyfile --adapter caddyfile` on it and returns once
// every app has started, which Caddy signals through its --pingback flag,
// and its HTTPS listeners present a certificate for every domain it
// manages.
//
// Each process gets its own XDG_DATA_HOME, XDG_CONFIG_HOME and HOME, a
// minimal environment plus [Options.Env], and the global options
//
//	skip_install_trust
//	default_bind 127.0.0.1
//	http_port <free port>
//
// so that nothing touches the system trust store and nothing listens on a
// fixed port or beyond loopback. The admin endpoint listens on a free
// loopback port through the CADDY_ADMIN environment variable, unless the
// Caddyfile sets its own admin address. Site addresses must name their
// ports; take them from [FreePort].
//
// [Process.Client] trusts the root certificate of Caddy's local CA, so tests
// can call `tls internal` sites over HTTPS. Caddy's output is captured for
// assertions and printed when the test fails, with [Options.Secrets]
// redacted. The process is stopped in t.Cleanup.
//
// [StartFailure] starts a Caddy that is expected to fail at startup and
// returns its output, and [Run] runs any other subcommand (adapt, validate,
// list-modules, hash-password) with the same isolated environment.
//
// Tests use the binary from [Binary]: the path in the VIRGILJWT_CADDY
// environment variable, or else ./caddy of this repository built once per
// test binary. A package that calls [Binary] should call [Main] from its
// TestMain, which removes that build when the tests end.
package caddyproc

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Default timeouts. They are generous because a loaded CI machine may start
// Caddy slowly, and a test that finishes sooner never waits for them.
const (
	DefaultStartTimeout = 30 * time.Second
	stopTimeout         = 10 * time.Second
	clientTimeout       = 15 * time.Second
)

// Options configures a Caddy process. The zero value is ready to use.
type Options struct {
	// Binary is the path of the caddy executable. Empty means [Binary].
	Binary string

	// Env holds extra environment variables as "KEY=VALUE". The process
	// does not inherit the test's environment, apart from PATH, TMPDIR and
	// SYSTEMROOT, so variables set with t.Setenv do not reach it.
	Env []string

	// Secrets are strings, such as App Keys and passwords, that are
	// replaced by "[REDACTED]" whenever this package prints Caddy's output.
	Secrets []string

	// StartTimeout bounds the wait for Caddy to start or exit, and the
	// whole command that [Run] runs. Zero means DefaultStartTimeout.
	StartTimeout time.Duration
}

// Process is a running Caddy.
type Process struct {
	// Dir is the working directory, which contains the Caddyfile.
	Dir string

	// DataDir is XDG_DATA_HOME, under which Caddy keeps its storage.
	DataDir string

	// AdminAddr is the admin endpoint set through CADDY_ADMIN. A Caddyfile
	// that sets its own admin address overrides it.
	AdminAddr string

	// HTTPPort is the http_port global option, which Caddy uses for its
	// HTTP->HTTPS redirects.
	HTTPPort int

	t       testing.TB
	cmd     *exec.Cmd
	output  *syncBuffer
	secrets []string
	exited  chan struct{}

	stopOnce sync.Once
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
// Another process may take it before Caddy binds it, which is rare enough
// for tests.
func FreePort(t testing.TB) int {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port
}

// Start runs Caddy on caddyfile and waits until it serves and holds its
// certificates. It fails the test if Caddy exits or does not start within
// the timeout.
func Start(t testing.TB, caddyfile string, opts *Options) *Process {
	t.Helper()
	p, ready := start(t, caddyfile, opts)
	deadline := time.After(opts.startTimeout())
	select {
	case <-ready:
	case <-p.exited:
		t.Fatalf("caddy exited at startup: %v\n%s", p.cmd.ProcessState, p.Output())
	case <-deadline:
		t.Fatalf("caddy did not start within %v\n%s", opts.startTimeout(), p.Output())
	}

	// The pingback can arrive before the copy of Caddy's output has caught
	// up, so wait for the line that Caddy logs just before the pingback.
	// Then wait for the certificates, which Caddy obtains in the background
	// after it reports that it serves; a TLS handshake fails until then.
	p.waitFor(t, deadline, opts.startTimeout(), "its start in its output", p.startLogged)
	p.waitFor(t, deadline, opts.startTimeout(), "its certificates", p.certificatesReady)
	p.waitFor(t, deadline, opts.startTimeout(), "its certificates in TLS handshakes", p.handshakesSucceed)
	return p
}

// waitFor polls ready until it returns true, and fails the test if Caddy
// exits or the deadline passes first.
func (p *Process) waitFor(t testing.TB, deadline <-chan time.Time, timeout time.Duration, what string, ready func() bool) {
	t.Helper()
	ticker := time.NewTicker(20 * time.Millisecond)
	defer ticker.Stop()
	for !ready() {
		select {
		case <-ticker.C:
		case <-p.exited:
			t.Fatalf("caddy exited while waiting for %s: %v\n%s", what, p.cmd.ProcessState, p.Output())
		case <-deadline:
			t.Fatalf("caddy did not show %s within %v\n%s", what, timeout, p.Output())
		}
	}
}

// startLogged reports whether Caddy's output contains the message that
// `caddy run` logs once the config is running. A Caddyfile that sends the
// default log elsewhere than stderr makes [Start] time out here.
func (p *Process) startLogged() bool {
	return strings.Contains(p.output.String(), "serving initial configuration")
}

// certificatesReady reports whether Caddy has logged a certificate for every
// domain it manages. Each process starts with empty storage, so every
// certificate is obtained anew and logged.
func (p *Process) certificatesReady() bool {
	managed := map[string]bool{}
	obtained := map[string]bool{}
	for _, entry := range p.Logs() {
		switch entry.Message() {
		case "enabling automatic TLS certificate management":
			domains, _ := entry["domains"].([]any)
			for _, domain := range domains {
				if name, ok := domain.(string); ok {
					managed[name] = true
				}
			}
		case "certificate obtained successfully":
			if name, ok := entry["identifier"].(string); ok {
				obtained[name] = true
			}
		}
	}
	for domain := range managed {
		if !obtained[domain] {
			return false
		}
	}
	return true
}

// handshakesSucceed reports whether every HTTPS listener completes a TLS
// handshake for every managed domain. Caddy logs that it obtained a
// certificate shortly before the certificate is in its cache, and until
// then handshakes fail with "tls: internal error". The listeners are the
// addresses of Caddy's "enabling HTTP/3 listener" log lines, because HTTP/3
// listens on the port of each HTTPS server.
//
// NOTE: a Caddyfile that turns HTTP/3 off has no such lines, so this check
// passes at once and a first handshake may still fail.
func (p *Process) handshakesSucceed() bool {
	var addresses, domains []string
	for _, entry := range p.Logs() {
		switch entry.Message() {
		case "enabling HTTP/3 listener":
			if address, ok := entry["addr"].(string); ok {
				addresses = append(addresses, address)
			}
		case "enabling automatic TLS certificate management":
			names, _ := entry["domains"].([]any)
			for _, name := range names {
				if domain, ok := name.(string); ok {
					domains = append(domains, strings.Replace(domain, "*", "probe", 1))
				}
			}
		}
	}
	for _, address := range addresses {
		for _, domain := range domains {
			if !handshake(address, domain) {
				return false
			}
		}
	}
	return true
}

// handshake reports whether a TLS handshake with serverName succeeds at
// address.
func handshake(address, serverName string) bool {
	dialer := &net.Dialer{Timeout: time.Second}
	config := &tls.Config{
		ServerName: serverName,
		// Only the presence of a certificate matters here. Client checks
		// it against Caddy's root certificate.
		InsecureSkipVerify: true,
	}
	conn, err := tls.DialWithDialer(dialer, "tcp", address, config)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// StartFailure runs Caddy on caddyfile, expects it to exit at startup with a
// non-zero status, and returns its output with [Options.Secrets] left in
// place, so the test can check that none of them appears. It fails the test
// if Caddy starts serving instead.
func StartFailure(t testing.TB, caddyfile string, opts *Options) string {
	t.Helper()
	p, ready := start(t, caddyfile, opts)
	select {
	case <-ready:
		t.Fatalf("caddy started, but a startup failure was expected\n%s", p.Output())
	case <-p.exited:
		if p.cmd.ProcessState.Success() {
			t.Fatalf("caddy exited with status 0, but a startup failure was expected\n%s", p.Output())
		}
		return p.output.String()
	case <-time.After(opts.startTimeout()):
		t.Fatalf("caddy neither started nor exited within %v\n%s", opts.startTimeout(), p.Output())
	}
	return ""
}

// Run runs the caddy binary with args in a fresh temporary directory and the
// same isolated environment as [Start], and returns its combined output.
// The error is non-nil when the command fails to run or exits non-zero.
func Run(t testing.TB, opts *Options, args ...string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), opts.startTimeout())
	defer cancel()
	cmd := exec.CommandContext(ctx, opts.binary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(isolatedEnv(dir), opts.env()...)
	output, err := cmd.CombinedOutput()
	return string(output), err
}

// start writes the Caddyfile, starts Caddy and returns a channel that is
// closed once Caddy reports through --pingback that it serves.
func start(t testing.TB, caddyfile string, opts *Options) (*Process, <-chan struct{}) {
	t.Helper()
	dir := t.TempDir()
	p := &Process{
		Dir:       dir,
		DataDir:   filepath.Join(dir, "data"),
		AdminAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t))),
		HTTPPort:  FreePort(t),
		t:         t,
		output:    &syncBuffer{},
		secrets:   opts.secrets(),
		exited:    make(chan struct{}),
	}

	path := filepath.Join(dir, "Caddyfile")
	content := withTestOptions(caddyfile, p.HTTPPort)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatalf("writing Caddyfile: %v", err)
	}

	pingback, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening for the pingback: %v", err)
	}
	token := randomToken(t)
	ready := awaitPingback(pingback, token)

	p.cmd = exec.Command(opts.binary(t), "run",
		"--config", path, "--adapter", "caddyfile",
		"--pingback", pingback.Addr().String())
	p.cmd.Dir = dir
	p.cmd.Env = append(isolatedEnv(dir), "CADDY_ADMIN="+p.AdminAddr)
	p.cmd.Env = append(p.cmd.Env, opts.env()...)
	p.cmd.Stdin = strings.NewReader(token)
	p.cmd.Stdout = p.output
	p.cmd.Stderr = p.output
	if err := p.cmd.Start(); err != nil {
		pingback.Close()
		t.Fatalf("starting caddy: %v", err)
	}
	go func() {
		p.cmd.Wait()
		pingback.Close()
		close(p.exited)
	}()

	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("caddy output:\n%s", p.Output())
		}
	})
	return p, ready
}

// awaitPingback accepts connections on listener until one sends token, and
// then closes the returned channel. Closing listener ends the wait.
func awaitPingback(listener net.Listener, token string) <-chan struct{} {
	ready := make(chan struct{})
	go func() {
		defer listener.Close()
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			received, _ := io.ReadAll(io.LimitReader(conn, int64(len(token))+1))
			conn.Close()
			if string(received) == token {
				close(ready)
				return
			}
		}
	}()
	return ready
}

// withTestOptions inserts the global options that keep a test Caddy away
// from the trust store, fixed ports and non-loopback interfaces. A global
// options block is the first block of a Caddyfile and has no keys, so its
// first token is a lone "{". Options the Caddyfile sets itself come later in
// the block and take precedence, except default_bind, which Caddy merges.
func withTestOptions(caddyfile string, httpPort int) string {
	options := fmt.Sprintf("\tskip_install_trust\n\tdefault_bind 127.0.0.1\n\thttp_port %d\n", httpPort)
	lines := strings.SplitAfter(caddyfile, "\n")
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if trimmed == "{" {
			head := strings.Join(lines[:i+1], "")
			if !strings.HasSuffix(head, "\n") {
				head += "\n"
			}
			return head + options + strings.Join(lines[i+1:], "")
		}
		break
	}
	return "{\n" + options + "}\n\n" + caddyfile
}

// isolatedEnv returns the environment of a Caddy process whose state lives
// under dir.
func isolatedEnv(dir string) []string {
	env := []string{
		"HOME=" + filepath.Join(dir, "home"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
	}
	for _, name := range []string{"PATH", "TMPDIR", "SYSTEMROOT"} {
		if value, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+value)
		}
	}
	return env
}

// Stop interrupts Caddy, which shuts down gracefully, and kills it if it has
// not exited within 10 seconds. Stop is safe to call more than once and runs
// in t.Cleanup.
func (p *Process) Stop() {
	p.stopOnce.Do(func() {
		select {
		case <-p.exited:
			return
		default:
		}
		if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
			p.cmd.Process.Kill()
		}
		select {
		case <-p.exited:
		case <-time.After(stopTimeout):
			p.t.Errorf("caddy did not stop within %v; killing it", stopTimeout)
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

// Output returns what Caddy wrote to stdout and stderr so far, with
// [Options.Secrets] redacted.
func (p *Process) Output() string {
	return redact(p.output.String(), p.secrets)
}

// RawOutput returns what Caddy wrote to stdout and stderr so far, secrets
// included. Use it only to check that a secret is absent, and never print
// it.
func (p *Process) RawOutput() string {
	return p.output.String()
}

// LogEntry is one JSON log line of Caddy.
type LogEntry map[string]any

// Level returns the entry's level, such as "info" or "warn".
func (e LogEntry) Level() string {
	level, _ := e["level"].(string)
	return level
}

// Message returns the entry's msg field.
func (e LogEntry) Message() string {
	message, _ := e["msg"].(string)
	return message
}

// Logs parses Caddy's output as JSON log lines, which is the format Caddy
// uses when stderr is not a terminal, and skips lines that are not JSON.
func (p *Process) Logs() []LogEntry {
	var entries []LogEntry
	for line := range strings.SplitSeq(p.output.String(), "\n") {
		var entry LogEntry
		if json.Unmarshal([]byte(line), &entry) == nil {
			entries = append(entries, entry)
		}
	}
	return entries
}

// Client returns an HTTP client that trusts the root certificate of Caddy's
// local CA, if Caddy has created one, and connects to 127.0.0.1 for
// "localhost" so that it reaches the loopback listeners. It does not follow
// redirects.
func (p *Process) Client() *http.Client {
	p.t.Helper()
	var roots *x509.CertPool
	rootPath := filepath.Join(p.DataDir, "caddy", "pki", "authorities", "local", "root.crt")
	pem, err := os.ReadFile(rootPath)
	switch {
	case err == nil:
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			p.t.Fatalf("no certificate found in %s", rootPath)
		}
	case !errors.Is(err, os.ErrNotExist):
		p.t.Fatalf("reading Caddy's root certificate: %v", err)
	}

	dialer := &net.Dialer{Timeout: 5 * time.Second}
	transport := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err == nil && host == "localhost" {
				addr = net.JoinHostPort("127.0.0.1", port)
			}
			return dialer.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2: true,
	}
	p.t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{
		Transport: transport,
		Timeout:   clientTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func (opts *Options) binary(t testing.TB) string {
	if opts != nil && opts.Binary != "" {
		return opts.Binary
	}
	return Binary(t)
}

func (opts *Options) env() []string {
	if opts == nil {
		return nil
	}
	return opts.Env
}

func (opts *Options) secrets() []string {
	if opts == nil {
		return nil
	}
	return opts.Secrets
}

func (opts *Options) startTimeout() time.Duration {
	if opts == nil || opts.StartTimeout == 0 {
		return DefaultStartTimeout
	}
	return opts.StartTimeout
}

// redact replaces each non-empty secret in s.
func redact(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[REDACTED]")
		}
	}
	return s
}

func randomToken(t testing.TB) string {
	t.Helper()
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		t.Fatalf("generating pingback token: %v", err)
	}
	return hex.EncodeToString(buf)
}

// syncBuffer is a bytes.Buffer that Caddy's stdout and stderr copiers and
// the test may use at the same time.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(data []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(data)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
