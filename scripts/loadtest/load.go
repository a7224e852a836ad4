package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed77c445a5/caddy-virgil-jwt/virgiljwt/jwt"
)

// maxBodySize is the largest response body read. A token response is
// well under 2 KiB, so more than this is an error in itself.
const maxBodySize = 64 << 10

// phase is one bounded series of requests: the warm-up or the timed run.
type phase struct {
	name        string
	maxRequests int       // 0 means no limit
	deadline    time.Time // zero means no deadline
}

// phaseResult contains what the workers of one phase observed.
type phaseResult struct {
	name       string
	elapsed    time.Duration
	requests   int
	latencies  []time.Duration
	failures   map[string]int
	mismatches int
	mismatch   string // first mismatch, for the report
	tokens     []string
}

// worker sends requests one after another and records their outcomes.
// Each worker owns its fields, so no locking is needed until the merge.
type worker struct {
	cfg        *config
	client     *http.Client
	requests   int
	latencies  []time.Duration
	failures   map[string]int
	mismatches int
	mismatch   string
	tokens     []string
}

// tokenResponse is the handler's JSON response.
type tokenResponse map[string]json.RawMessage

// newClient returns a client whose connections stay open between requests.
// It counts the connections it dials, so the report shows whether
// keep-alive worked.
func newClient(cfg *config, dials *atomic.Int64) *http.Client {
	dialer := &net.Dialer{Timeout: cfg.timeout}
	transport := &http.Transport{
		Proxy: nil, // the endpoint is on loopback, never behind a proxy
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			dials.Add(1)
			return dialer.DialContext(ctx, network, address)
		},
		MaxIdleConns:        cfg.concurrency,
		MaxIdleConnsPerHost: cfg.concurrency,
		MaxConnsPerHost:     cfg.concurrency,
		DisableCompression:  true,
	}
	return &http.Client{Transport: transport, Timeout: cfg.timeout}
}

// runPhase sends requests from cfg.concurrency workers until the phase's
// request limit or deadline is reached. Requests in flight at the deadline
// complete and are counted. Tokens are kept for signature verification
// only when keptCount is not nil.
func runPhase(cfg *config, client *http.Client, p phase, keptCount *atomic.Int64) *phaseResult {
	var next atomic.Int64
	workers := make([]*worker, cfg.concurrency)
	var wg sync.WaitGroup
	start := time.Now()

	for i := range workers {
		w := &worker{cfg: cfg, client: client, failures: make(map[string]int)}
		workers[i] = w
		wg.Go(func() {
			for {
				n := next.Add(1) - 1
				if p.maxRequests > 0 && n >= int64(p.maxRequests) {
					return
				}
				if !p.deadline.IsZero() && time.Now().After(p.deadline) {
					return
				}
				identity := cfg.userPrefix + strconv.Itoa(int(n%int64(cfg.users))+1)
				w.request(identity, keptCount)
			}
		})
	}
	wg.Wait()

	result := &phaseResult{name: p.name, elapsed: time.Since(start), failures: make(map[string]int)}
	for _, w := range workers {
		result.merge(w)
	}
	return result
}

// request sends one token request for identity and checks the response.
// The latency covers sending the request and reading the whole body. It
// excludes the checks, which are client work.
func (w *worker) request(identity string, keptCount *atomic.Int64) {
	w.requests++
	req, err := http.NewRequest(http.MethodGet, w.cfg.url.String(), nil)
	if err != nil {
		w.fail("building request failed: " + err.Error())
		return
	}
	if w.cfg.auth == "header" {
		req.Header.Set(w.cfg.identityHeader, identity)
	} else {
		req.Header.Set("Authorization", w.cfg.basicAuthorization(identity))
	}

	start := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		w.latencies = append(w.latencies, time.Since(start))
		w.fail("request failed: " + err.Error())
		return
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodySize+1))
	resp.Body.Close()
	w.latencies = append(w.latencies, time.Since(start))

	if err != nil {
		w.fail("reading response body failed: " + err.Error())
		return
	}
	if resp.StatusCode != http.StatusOK {
		w.fail("status " + strconv.Itoa(resp.StatusCode))
		return
	}
	if len(body) > maxBodySize {
		w.fail(fmt.Sprintf("response body larger than %d bytes", maxBodySize))
		return
	}
	w.checkToken(identity, body, keptCount)
}

// checkToken parses the token in body and compares its identity and App ID
// with the expected ones. It keeps the token for signature verification
// while keptCount is not nil and fewer than cfg.verifyLimit tokens are kept.
func (w *worker) checkToken(identity string, body []byte, keptCount *atomic.Int64) {
	var response tokenResponse
	if err := json.Unmarshal(body, &response); err != nil {
		w.fail("invalid JSON response body")
		return
	}
	var token string
	if err := json.Unmarshal(response[w.cfg.tokenField], &token); err != nil || token == "" {
		w.fail("missing or non-string " + w.cfg.tokenField + " field")
		return
	}

	parsed, err := jwt.Parse(token)
	if err != nil {
		w.fail("malformed token")
		return
	}
	if got := parsed.Identity(); got != identity {
		if w.mismatches == 0 {
			w.mismatch = fmt.Sprintf("requested as %q, token names %q", identity, got)
		}
		w.mismatches++
		return
	}
	if parsed.AppID() != w.cfg.appID {
		w.fail("token names another App ID")
		return
	}

	if keptCount != nil && keptCount.Add(1) <= int64(w.cfg.verifyLimit) {
		w.tokens = append(w.tokens, token)
	}
}

// fail counts a failed request under kind, a message without secrets.
func (w *worker) fail(kind string) {
	w.failures[kind]++
}

func (r *phaseResult) merge(w *worker) {
	r.requests += w.requests
	r.latencies = append(r.latencies, w.latencies...)
	for kind, n := range w.failures {
		r.failures[kind] += n
	}
	if r.mismatches == 0 {
		r.mismatch = w.mismatch
	}
	r.mismatches += w.mismatches
	r.tokens = append(r.tokens, w.tokens...)
}

// verifyTokens checks the header, signature and expiry of every token in
// as many goroutines as workers. It returns the number of tokens that
// failed and the first error.
func verifyTokens(verifier *jwt.Verifier, tokens []string, workers int) (invalid int, firstErr error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	var next atomic.Int64

	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(tokens) {
					return
				}
				if _, err := verifier.Verify(tokens[i]); err != nil {
					mu.Lock()
					if invalid == 0 {
						firstErr = err
					}
					invalid++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return invalid, firstErr
}
