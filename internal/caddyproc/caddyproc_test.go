package caddyproc

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

func TestWithTestOptions(t *testing.T) {
	tests := []struct {
		name      string
		caddyfile string
		want      string
	}{
		{
			name:      "no global block",
			caddyfile: "localhost:8443 {\n\trespond hi\n}\n",
			want:      "{\n\tskip_install_trust\n\tdefault_bind 127.0.0.1\n\thttp_port 8080\n}\n\nlocalhost:8443 {\n\trespond hi\n}\n",
		},
		{
			name:      "existing global block",
			caddyfile: "# comment\n\n{\n\tadmin off\n}\n:8443 {\n}\n",
			want:      "# comment\n\n{\n\tskip_install_trust\n\tdefault_bind 127.0.0.1\n\thttp_port 8080\n\tadmin off\n}\n:8443 {\n}\n",
		},
		{
			name:      "site block with brace on its line",
			caddyfile: "localhost:8443\n{\n}\n",
			want:      "{\n\tskip_install_trust\n\tdefault_bind 127.0.0.1\n\thttp_port 8080\n}\n\nlocalhost:8443\n{\n}\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := withTestOptions(tt.caddyfile, 8080)
			if got != tt.want {
				t.Errorf("withTestOptions() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	got := redact("key=abc and abc again, empty ok", []string{"abc", ""})
	want := "key=[REDACTED] and [REDACTED] again, empty ok"
	if got != want {
		t.Errorf("redact() = %q, want %q", got, want)
	}
}

func TestStartServesTLSInternal(t *testing.T) {
	port := FreePort(t)
	caddyfile := fmt.Sprintf("localhost:%d {\n\ttls internal\n\trespond \"hello {env.GREETING}\"\n}\n", port)
	p := Start(t, caddyfile, &Options{Env: []string{"GREETING=world"}})

	response, err := p.Client().Get(fmt.Sprintf("https://localhost:%d/", port))
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	if response.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want 200", response.StatusCode)
	}
	if string(body) != "hello world" {
		t.Errorf("body = %q, want %q", body, "hello world")
	}

	p.Stop()
	if _, err := p.Client().Get(fmt.Sprintf("https://localhost:%d/", port)); err == nil {
		t.Error("GET after Stop succeeded, want a connection error")
	}
}

func TestStartFailureReturnsOutput(t *testing.T) {
	caddyfile := fmt.Sprintf("localhost:%d {\n\tno_such_directive\n}\n", FreePort(t))
	output := StartFailure(t, caddyfile, nil)
	if !strings.Contains(output, "no_such_directive") {
		t.Errorf("output does not name the unknown directive:\n%s", output)
	}
}

func TestRunListModules(t *testing.T) {
	output, err := Run(t, nil, "list-modules")
	if err != nil {
		t.Fatalf("caddy list-modules: %v\n%s", err, output)
	}
	if !strings.Contains(output, "http.handlers.reverse_proxy") {
		t.Errorf("list-modules output lacks http.handlers.reverse_proxy:\n%s", output)
	}
}

func TestRunFails(t *testing.T) {
	output, err := Run(t, nil, "validate", "--config", "missing.Caddyfile")
	if err == nil {
		t.Fatalf("caddy validate of a missing file succeeded:\n%s", output)
	}
}
