// Command loadgen sends requests at a fixed rate (open loop: a slow or
// failing target does not slow the schedule) for a bounded duration and
// classifies every failure: HTTP status (5xx or other), connection refused,
// connection reset, timeout, EOF (closed without a response), other.
//
//	loadgen -target http://127.0.0.1:8080/ [-target grpc://127.0.0.1:9090] \
//	        -rate 50 -duration 60s -timeout 5s -out requests.jsonl
//
// Targets are used in turn. Each request is one line of -out; at the end (or
// on SIGTERM/SIGINT, which stops early) one JSON summary goes to stdout:
// {"requests":N,"failed":{"<kind>":count,...}}.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Failure kinds (and "ok").
const (
	kindOK        = "ok"
	kindHTTP5xx   = "http_5xx"
	kindHTTPOther = "http_other"
	kindRefused   = "refused"
	kindReset     = "reset"
	kindTimeout   = "timeout"
	kindEOF       = "eof"
	kindOther     = "other"
)

type targets []string

func (t *targets) String() string     { return strings.Join(*t, ",") }
func (t *targets) Set(v string) error { *t = append(*t, v); return nil }

type config struct {
	Targets   []*url.URL
	Rate      float64
	Duration  time.Duration
	Timeout   time.Duration
	Out       string
	KeepAlive bool
}

// record is one request, one line of -out.
type record struct {
	T      string  `json:"t"`
	MS     float64 `json:"ms"`
	Status int     `json:"status"`
	Kind   string  `json:"kind"`
	Target string  `json:"target,omitempty"`
	Err    string  `json:"err,omitempty"`
}

// summary is printed on stdout at the end.
type summary struct {
	Requests int            `json:"requests"`
	Failed   map[string]int `json:"failed"`
}

func main() {
	cfg, err := parseConfig(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	s, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(s)
}

func parseConfig(args []string) (config, error) {
	var c config
	var ts targets
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.Var(&ts, "target", "http://HOST:PORT/PATH or grpc://HOST:PORT (repeatable; used in turn)")
	fs.Float64Var(&c.Rate, "rate", 50, "requests per second (open loop)")
	fs.DurationVar(&c.Duration, "duration", 60*time.Second, "how long to send")
	fs.DurationVar(&c.Timeout, "timeout", 5*time.Second, "per-request timeout")
	fs.StringVar(&c.Out, "out", "", "write one JSON line per request to this file")
	fs.BoolVar(&c.KeepAlive, "keepalive", true, "reuse connections (false: a new connection per request)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if len(ts) == 0 {
		return c, errors.New("-target: at least one is required")
	}
	for _, t := range ts {
		u, err := url.Parse(t)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "grpc") {
			return c, fmt.Errorf("-target %q: want http://HOST:PORT/PATH or grpc://HOST:PORT", t)
		}
		c.Targets = append(c.Targets, u)
	}
	if c.Rate <= 0 || c.Rate > 10000 {
		return c, fmt.Errorf("-rate %g: want 0 < rate <= 10000", c.Rate)
	}
	if c.Duration <= 0 || c.Timeout <= 0 {
		return c, errors.New("-duration and -timeout must be > 0")
	}
	return c, nil
}

// run sends requests until the duration ends or ctx is cancelled, waits for
// those in flight, and returns the summary.
func run(ctx context.Context, c config) (summary, error) {
	var out io.Writer = io.Discard
	if c.Out != "" {
		f, err := os.Create(c.Out)
		if err != nil {
			return summary{}, err
		}
		defer f.Close()
		bw := bufio.NewWriter(f)
		defer bw.Flush()
		out = bw
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: c.Timeout}).DialContext,
		DisableKeepAlives:   !c.KeepAlive,
		MaxIdleConnsPerHost: 1000,
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	conns := map[string]*grpc.ClientConn{}
	if c.KeepAlive {
		for _, u := range c.Targets {
			if u.Scheme == "grpc" && conns[u.Host] == nil {
				conn, err := grpc.NewClient(u.Host, grpc.WithTransportCredentials(insecure.NewCredentials()))
				if err != nil {
					return summary{}, err
				}
				defer conn.Close()
				conns[u.Host] = conn
			}
		}
	}

	records := make(chan record, 1024)
	s := summary{Failed: map[string]int{}}
	written := make(chan struct{})
	go func() {
		enc := json.NewEncoder(out)
		for r := range records {
			s.Requests++
			if r.Kind != kindOK {
				s.Failed[r.Kind]++
			}
			enc.Encode(r)
		}
		close(written)
	}()

	var wg sync.WaitGroup
	begin := time.Now()
	interval := time.Duration(float64(time.Second) / c.Rate)
	deadline := time.NewTimer(c.Duration)
	defer deadline.Stop()
loop:
	for i := 0; ; i++ {
		next := begin.Add(time.Duration(i) * interval)
		if next.Sub(begin) >= c.Duration {
			break
		}
		if d := time.Until(next); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				break loop
			case <-deadline.C:
				break loop
			}
		} else if ctx.Err() != nil {
			break loop
		}
		u := c.Targets[i%len(c.Targets)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			records <- request(hc, conns[u.Host], u, c.Timeout)
		}()
	}
	wg.Wait()
	close(records)
	<-written
	return s, nil
}

// request sends one request (its own timeout, not cancelled by a stop: a
// request once sent is measured to its end) and classifies the result.
func request(hc *http.Client, conn *grpc.ClientConn, u *url.URL, timeout time.Duration) record {
	start := time.Now()
	r := record{T: start.UTC().Format(time.RFC3339Nano), Target: u.String()}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var err error
	if u.Scheme == "grpc" {
		if conn == nil { // no keep-alive: a connection of its own
			if conn, err = grpc.NewClient(u.Host, grpc.WithTransportCredentials(insecure.NewCredentials())); err == nil {
				defer conn.Close()
			}
		}
		if err == nil {
			out := new(wrapperspb.StringValue)
			err = conn.Invoke(ctx, "/lab.Echo/Echo", wrapperspb.String("lab"), out, grpc.WaitForReady(false))
		}
		r.Kind = classifyGRPC(err)
	} else {
		var req *http.Request
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err == nil {
			var resp *http.Response
			if resp, err = hc.Do(req); err == nil {
				r.Status = resp.StatusCode
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
		r.Kind = classifyHTTP(r.Status, err)
	}
	if err != nil {
		r.Err = err.Error()
	} else if r.Kind != kindOK {
		r.Err = http.StatusText(r.Status)
	}
	r.MS = float64(time.Since(start).Microseconds()) / 1000
	return r
}

// classifyHTTP names the outcome of an HTTP request: a status when a
// response arrived (an error while reading the body counts as that error).
func classifyHTTP(code int, err error) string {
	if err != nil {
		return classifyErr(err)
	}
	switch {
	case code >= 200 && code < 400:
		return kindOK
	case code >= 500:
		return kindHTTP5xx
	default:
		return kindHTTPOther
	}
}

// classifyErr names a transport error.
func classifyErr(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return kindRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return kindReset
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return kindTimeout
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return kindEOF
	}
	// net/http wraps some causes in strings only.
	msg := err.Error()
	switch {
	case strings.Contains(msg, "connection refused"):
		return kindRefused
	case strings.Contains(msg, "connection reset"), strings.Contains(msg, "broken pipe"):
		return kindReset
	case strings.Contains(msg, "EOF"), strings.Contains(msg, "server closed"):
		return kindEOF
	}
	return kindOther
}

// classifyGRPC names the outcome of a gRPC call; the transport's cause is
// only in the status message.
func classifyGRPC(err error) string {
	if err == nil {
		return kindOK
	}
	st, ok := status.FromError(err)
	if !ok {
		return classifyErr(err)
	}
	if st.Code() == codes.DeadlineExceeded {
		return kindTimeout
	}
	msg := st.Message()
	switch {
	case strings.Contains(msg, "connection refused"):
		return kindRefused
	case strings.Contains(msg, "connection reset"), strings.Contains(msg, "broken pipe"):
		return kindReset
	case strings.Contains(msg, "EOF"), strings.Contains(msg, "error reading from server"), strings.Contains(msg, "connection closed"):
		return kindEOF
	}
	return kindOther
}
