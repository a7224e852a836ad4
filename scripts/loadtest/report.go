package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
)

// result contains the outcome of a whole run.
type result struct {
	warmUp     *phaseResult // nil without warm-up
	timed      *phaseResult
	dials      int64
	verified   int
	invalid    int
	invalidErr error
	verifyTime time.Duration
	unverified int
}

// run sends the warm-up and the timed requests, then verifies the kept
// tokens' signatures. Only the tokens of successful timed requests are
// kept, up to cfg.verifyLimit.
func run(cfg *config) *result {
	var dials atomic.Int64
	client := newClient(cfg, &dials)
	r := &result{}

	if cfg.warmUp {
		r.warmUp = runPhase(cfg, client, phase{name: "warm-up", maxRequests: cfg.users}, nil)
	}

	timed := phase{name: "timed", maxRequests: cfg.maxRequests}
	if cfg.duration > 0 {
		timed.deadline = time.Now().Add(cfg.duration)
	}
	var keptCount atomic.Int64
	r.timed = runPhase(cfg, client, timed, &keptCount)
	r.dials = dials.Load()

	start := time.Now()
	r.invalid, r.invalidErr = verifyTokens(&cfg.verifier, r.timed.tokens, runtime.GOMAXPROCS(0))
	r.verifyTime = time.Since(start)
	r.verified = len(r.timed.tokens) - r.invalid
	r.unverified = r.timed.ok() - len(r.timed.tokens)
	return r
}

// passed reports whether every request returned a token for its own
// identity with a valid signature.
func (r *result) passed() bool {
	phases := []*phaseResult{r.timed}
	if r.warmUp != nil {
		phases = append(phases, r.warmUp)
	}
	for _, p := range phases {
		if p.failed() > 0 || p.mismatches > 0 {
			return false
		}
	}
	return r.invalid == 0
}

func (r *result) print(w io.Writer, cfg *config) {
	fmt.Fprintf(w, "endpoint:     %s (-auth %s, %d identities, concurrency %d)\n",
		cfg.url, cfg.auth, cfg.users, cfg.concurrency)
	if r.warmUp != nil {
		r.warmUp.print(w)
	}
	r.timed.print(w)
	fmt.Fprintf(w, "connections:  %d dialed for %d requests in all phases\n", r.dials, r.totalRequests())

	fmt.Fprintf(w, "signatures:   %d valid, %d invalid, %d not checked (-verify-limit %d), verified in %s\n",
		r.verified, r.invalid, r.unverified, cfg.verifyLimit, r.verifyTime.Round(time.Millisecond))
	if r.invalidErr != nil {
		fmt.Fprintf(w, "              first invalid: %v\n", r.invalidErr)
	}

	if r.passed() {
		fmt.Fprintln(w, "result:       PASS")
	} else {
		fmt.Fprintln(w, "result:       FAIL")
	}
}

func (r *result) totalRequests() int {
	n := r.timed.requests
	if r.warmUp != nil {
		n += r.warmUp.requests
	}
	return n
}

func (p *phaseResult) print(w io.Writer) {
	total := p.requests
	seconds := p.elapsed.Seconds()
	fmt.Fprintf(w, "%-13s %d requests in %s: %s requests/s, %d ok, %d failed, %d identity mismatches\n",
		p.name+":", total, p.elapsed.Round(time.Millisecond), formatRate(float64(total)/seconds),
		p.ok(), p.failed(), p.mismatches)

	if len(p.latencies) > 0 {
		sorted := slices.Clone(p.latencies)
		slices.Sort(sorted)
		fmt.Fprintf(w, "              latency p50 %s, p90 %s, p99 %s, max %s\n",
			format(percentile(sorted, 50)), format(percentile(sorted, 90)),
			format(percentile(sorted, 99)), format(sorted[len(sorted)-1]))
	}

	kinds := make([]string, 0, len(p.failures))
	for kind := range p.failures {
		kinds = append(kinds, kind)
	}
	slices.Sort(kinds)
	for i, kind := range kinds {
		if i == 10 {
			fmt.Fprintf(w, "              and %d more kinds of failure\n", len(kinds)-i)
			break
		}
		fmt.Fprintf(w, "              %d x %s\n", p.failures[kind], kind)
	}
	if p.mismatches > 0 {
		fmt.Fprintf(w, "              first mismatch: %s\n", p.mismatch)
	}
}

// ok returns the number of requests that returned a token for the
// requested identity.
func (p *phaseResult) ok() int {
	return p.requests - p.failed() - p.mismatches
}

func (p *phaseResult) failed() int {
	n := 0
	for _, count := range p.failures {
		n += count
	}
	return n
}

// percentile returns the nearest-rank percentile q (0 to 100) of sorted,
// which must not be empty.
func percentile(sorted []time.Duration, q int) time.Duration {
	rank := (q*len(sorted) + 99) / 100 // ceil(q/100 * n)
	return sorted[max(rank, 1)-1]
}

// formatRate formats a rate in whole numbers, or with three significant
// digits below 100, such as 11123 or 2.11.
func formatRate(rate float64) string {
	if rate >= 100 {
		return strconv.FormatFloat(rate, 'f', 0, 64)
	}
	return strconv.FormatFloat(rate, 'g', 3, 64)
}

// format rounds d to three significant digits, such as 1.23ms or 456µs.
func format(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d >= 100*time.Microsecond:
		return d.Round(time.Microsecond)
	default:
		return d.Round(100 * time.Nanosecond)
	}
}
