package caddyproc

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// BinaryEnv names the environment variable that holds the path of a caddy
// binary for [Binary] to return instead of building one.
const BinaryEnv = "VIRGILJWT_CADDY"

// MainPackage is the import path of this repository's Caddy command.
const MainPackage = "github.com/seed77c445a5/caddy-virgil-jwt/caddy"

var shared struct {
	once sync.Once
	dir  string
	path string
	err  error
	log  string
}

// Binary returns the path in the VIRGILJWT_CADDY environment variable, or
// else builds [MainPackage] with CGO_ENABLED=0 once per test binary and
// returns the path of that build. A failed build fails every test that
// calls Binary.
func Binary(t testing.TB) string {
	t.Helper()
	if path := os.Getenv(BinaryEnv); path != "" {
		return path
	}
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "caddyproc-")
		if shared.err != nil {
			return
		}
		shared.path = filepath.Join(shared.dir, executableName("caddy"))
		shared.log, shared.err = build(shared.path)
	})
	if shared.err != nil {
		t.Fatalf("building %s: %v\n%s", MainPackage, shared.err, shared.log)
	}
	return shared.path
}

// Build builds [MainPackage] with CGO_ENABLED=0 into dir and returns the
// path of the executable.
func Build(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, executableName("caddy"))
	if output, err := build(path); err != nil {
		t.Fatalf("building %s: %v\n%s", MainPackage, err, output)
	}
	return path
}

// Main runs the tests of m, removes the binary that [Binary] built, and
// exits. Call it from TestMain:
//
//	func TestMain(m *testing.M) { caddyproc.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// build runs go build from the root of this repository, which the source
// path of this file locates, so it works from any package's tests.
func build(path string) (string, error) {
	cmd := exec.Command("go", "build", "-o", path, MainPackage)
	cmd.Dir = repositoryRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	output, err := cmd.CombinedOutput()
	return string(output), err
}

func repositoryRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func executableName(name string) string {
	if runtime.GOOS == "windows" {
		return name + ".exe"
	}
	return name
}
