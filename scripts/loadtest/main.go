// Command loadtest sends token requests to a running Caddy with the
// virgil_jwt handler and reports throughput, latency and errors. It checks
// that every token names the identity that requested it, and verifies the
// tokens' signatures once the timed run has ended.
//
// The identity of each request comes either from a request header, for a
// measurement-only Caddy config that trusts that header, or from HTTP basic
// authentication. Run it through run.sh, which builds and starts Caddy:
//
//	scripts/loadtest/run.sh
//
// The exit status is 1 when any request failed, any token named another
// identity or any signature did not verify, and 2 for invalid flags.
package main

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt/jwt"
)

// passwordEnv is the environment variable that holds the basic_auth
// password, so it stays off the command line and out of process listings.
const passwordEnv = "LOADTEST_PASSWORD"

// config is the validated command line.
type config struct {
	url            *url.URL
	auth           string
	identityHeader string
	password       string
	userPrefix     string
	users          int
	concurrency    int
	duration       time.Duration
	maxRequests    int
	timeout        time.Duration
	warmUp         bool
	tokenField     string
	verifier       jwt.Verifier
	appID          string
	verifyLimit    int
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "free-port" {
		if err := printFreePort(); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
			os.Exit(1)
		}
		return
	}

	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}

	result := run(cfg)
	result.print(os.Stdout, cfg)
	if !result.passed() {
		os.Exit(1)
	}
}

func parseFlags(args []string) (*config, error) {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintln(out, "Usage: loadtest -url URL -app-id ID -app-key-id ID -app-public-key KEY [flags]")
		fmt.Fprintln(out, "       loadtest free-port")
		fmt.Fprintln(out, "\nfree-port prints a free TCP port on 127.0.0.1. Flags:")
		fs.PrintDefaults()
	}
	rawURL := fs.String("url", "", "token endpoint, such as http://127.0.0.1:8080/virgil-jwt (loopback only)")
	auth := fs.String("auth", "header", "how requests carry the identity: header or basic")
	identityHeader := fs.String("identity-header", "X-Loadtest-Identity", "request header with the identity, for -auth header")
	userPrefix := fs.String("user-prefix", "user-", "identities are this prefix followed by a number from 1 to -users")
	users := fs.Int("users", 1000, "number of distinct identities, used in turn")
	concurrency := fs.Int("concurrency", 16, "number of requests in flight, each on its own keep-alive connection")
	duration := fs.Duration("duration", 10*time.Second, "length of the timed run; 0 means until -requests are done")
	maxRequests := fs.Int("requests", 0, "maximum number of timed requests; 0 means until -duration has passed")
	timeout := fs.Duration("timeout", 10*time.Second, "timeout of each request")
	warmUp := fs.Bool("warm-up", true, "send one untimed request per identity before the timed run")
	tokenField := fs.String("token-field", "virgilToken", "JSON field of the response that holds the token")
	appPublicKey := fs.String("app-public-key", "", "App public key (base64 SPKI DER or PEM) that verifies the signatures")
	appKeyID := fs.String("app-key-id", "", "expected App Key ID in the kid header field")
	appID := fs.String("app-id", "", "expected App ID in the iss claim")
	verifyLimit := fs.Int("verify-limit", 200000, "maximum number of signatures verified after the run; the identity of every token is checked regardless")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	cfg := &config{
		auth:           *auth,
		identityHeader: *identityHeader,
		userPrefix:     *userPrefix,
		users:          *users,
		concurrency:    *concurrency,
		duration:       *duration,
		maxRequests:    *maxRequests,
		timeout:        *timeout,
		warmUp:         *warmUp,
		tokenField:     *tokenField,
		appID:          *appID,
		verifyLimit:    *verifyLimit,
	}
	var err error
	if cfg.url, err = parseLoopbackURL(*rawURL); err != nil {
		return nil, err
	}
	if err := cfg.checkAuth(); err != nil {
		return nil, err
	}
	if err := cfg.checkBounds(); err != nil {
		return nil, err
	}
	if err := cfg.setVerifier(*appPublicKey, *appKeyID); err != nil {
		return nil, err
	}
	return cfg, nil
}

// parseLoopbackURL parses the endpoint and rejects any host that is not a
// loopback address, because the tool generates load.
func parseLoopbackURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("missing -url")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid -url: %v", err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("invalid -url %q: scheme must be http", raw)
	}

	host := u.Hostname()
	if host == "localhost" {
		return u, nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("invalid -url %q: host must be a loopback address such as 127.0.0.1", raw)
	}
	return u, nil
}

func (c *config) checkAuth() error {
	switch c.auth {
	case "header":
		if c.identityHeader == "" {
			return errors.New("invalid -identity-header: must not be empty with -auth header")
		}
	case "basic":
		c.password = os.Getenv(passwordEnv)
		if c.password == "" {
			return fmt.Errorf("missing password: set %s for -auth basic", passwordEnv)
		}
	default:
		return fmt.Errorf("invalid -auth %q: must be header or basic", c.auth)
	}
	return nil
}

func (c *config) checkBounds() error {
	if c.users < 1 {
		return fmt.Errorf("invalid -users %d: must be at least 1", c.users)
	}
	if c.concurrency < 1 {
		return fmt.Errorf("invalid -concurrency %d: must be at least 1", c.concurrency)
	}
	if c.duration < 0 || c.maxRequests < 0 {
		return errors.New("invalid -duration or -requests: must not be negative")
	}
	if c.duration == 0 && c.maxRequests == 0 {
		return errors.New("missing bound: set -duration, -requests or both, so the run ends by itself")
	}
	if c.timeout <= 0 {
		return fmt.Errorf("invalid -timeout %s: must be positive", c.timeout)
	}
	if c.verifyLimit < 0 {
		return fmt.Errorf("invalid -verify-limit %d: must not be negative", c.verifyLimit)
	}
	return nil
}

func (c *config) setVerifier(publicKey, keyID string) error {
	if publicKey == "" || keyID == "" || c.appID == "" {
		return errors.New("missing -app-public-key, -app-key-id or -app-id: all three are needed to verify tokens")
	}
	key, err := jwt.ParsePublicKey([]byte(publicKey))
	if err != nil {
		return fmt.Errorf("invalid -app-public-key: %v", err)
	}
	c.verifier = jwt.Verifier{AppPublicKey: key, AppKeyID: keyID}
	return nil
}

// basicAuthorization returns the Authorization header value for user.
func (c *config) basicAuthorization(user string) string {
	credentials := user + ":" + c.password
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(credentials))
}

// printFreePort prints a TCP port on 127.0.0.1 that was free a moment ago.
// Another process may take it before Caddy binds it, so callers retry
// when Caddy fails to start.
func printFreePort() error {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("finding a free port: %v", err)
	}
	defer listener.Close()
	fmt.Println(listener.Addr().(*net.TCPAddr).Port)
	return nil
}
