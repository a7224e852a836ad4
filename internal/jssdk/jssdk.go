// Package jssdk runs Virgil's JavaScript SDK (virgil-sdk and virgil-crypto,
// installed under node/ by npm) from Go tests, as an independent peer that
// mints and verifies Virgil JWTs.
//
// Without Node.js or the npm packages, [Require] skips the test with a
// message, unless the CI environment variable is set, where it fails it.
package jssdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// VerifyRequest is a request to parse Token and check it with the SDK's
// JwtVerifier.
type VerifyRequest struct {
	Token     string `json:"token"`
	PublicKey string `json:"publicKey"` // standard base64 of SPKI DER
	AppKeyID  string `json:"appKeyId"`

	// Now, in Unix seconds, is the time at which expiry is judged. Zero
	// means the current time.
	Now int64 `json:"now,omitempty"`
}

// VerifyResult contains the fields the SDK read from a token.
type VerifyResult struct {
	Valid          bool           `json:"valid"` // JwtVerifier.verifyToken
	Identity       string         `json:"identity"`
	AppID          string         `json:"appId"`
	AdditionalData map[string]any `json:"ada"`
	IssuedAt       int64          `json:"iat"`
	ExpiresAt      int64          `json:"exp"`
	Expired        bool           `json:"expired"`
	Error          string         `json:"error"` // message of the error the SDK threw, if any
}

// MintRequest is a request for a token from the SDK's JwtGenerator.
type MintRequest struct {
	PrivateKey     string            `json:"privateKey"` // standard base64 of PKCS#8 DER
	AppKeyID       string            `json:"appKeyId"`
	AppID          string            `json:"appId"`
	Identity       string            `json:"identity"`
	AdditionalData map[string]string `json:"ada"`
	TTLMillis      int64             `json:"ttlMs"`

	// Now, in Unix seconds, fixes the SDK's clock. Zero means the current
	// time.
	Now int64 `json:"now,omitempty"`
}

// MintResult is the SDK's token, or the error it threw.
type MintResult struct {
	Token string `json:"token"`
	Error string `json:"error"`
}

// Dir returns the folder that holds package.json and node_modules.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "node")
}

// Available returns nil when Node.js and the npm packages are installed, or
// an error that names what is missing and how to install it.
func Available() error {
	if _, err := exec.LookPath("node"); err != nil {
		return errors.New("node not found on PATH")
	}
	for _, pkg := range []string{"virgil-sdk", "virgil-crypto"} {
		if _, err := os.Stat(filepath.Join(Dir(), "node_modules", pkg, "package.json")); err != nil {
			return fmt.Errorf("npm package %s not installed: run npm ci --prefix %s", pkg, Dir())
		}
	}
	return nil
}

// Require skips t when the SDK cannot run, or fails it when the CI
// environment variable is set, because CI must run every interop test.
func Require(t testing.TB) {
	t.Helper()
	err := Available()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("Virgil JavaScript SDK required in CI: %v", err)
	}
	t.Skipf("skipping: Virgil JavaScript SDK unavailable: %v", err)
}

// Verify runs JwtVerifier on each request in one Node.js process.
func Verify(t testing.TB, requests ...VerifyRequest) []VerifyResult {
	t.Helper()
	ops := make([]any, len(requests))
	for i, req := range requests {
		ops[i] = struct {
			Op string `json:"op"`
			VerifyRequest
		}{"verify", req}
	}
	var results []VerifyResult
	run(t, ops, &results)
	return results
}

// Mint runs JwtGenerator on each request in one Node.js process.
func Mint(t testing.TB, requests ...MintRequest) []MintResult {
	t.Helper()
	ops := make([]any, len(requests))
	for i, req := range requests {
		ops[i] = struct {
			Op string `json:"op"`
			MintRequest
		}{"mint", req}
	}
	var results []MintResult
	run(t, ops, &results)
	return results
}

// runTimeout bounds one Node.js process. A batch normally takes under a
// second, so reaching it means the process hung.
const runTimeout = 2 * time.Minute

func run(t testing.TB, ops []any, results any) {
	t.Helper()
	Require(t)
	input, err := json.Marshal(ops)
	if err != nil {
		t.Fatalf("encoding SDK requests: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(Dir(), "sdk.js"))
	cmd.Dir = Dir()
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	output, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("running Virgil JavaScript SDK: timed out after %v", runTimeout)
	}
	if err != nil {
		t.Fatalf("running Virgil JavaScript SDK: %v\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(output, results); err != nil {
		t.Fatalf("decoding SDK results: %v\n%s", err, output)
	}
}
