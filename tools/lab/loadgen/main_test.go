package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestMain(m *testing.M) {
	if os.Getenv("LOADGEN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// rawServer accepts TCP connections on loopback and hands each to fn.
func rawServer(t *testing.T, fn func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go fn(c)
		}
	}()
	return l.Addr().String()
}

// readRequest reads an HTTP request's head.
func readRequest(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil || line == "\r\n" {
			return
		}
	}
}

func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func mustParse(t *testing.T, s string) config {
	t.Helper()
	c, err := parseConfig(strings.Fields(s))
	if err != nil {
		t.Fatalf("parseConfig(%q): %v", s, err)
	}
	return c
}

func readRecords(t *testing.T, path string) []record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rs []record
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if _, err := time.Parse(time.RFC3339Nano, r.T); err != nil {
			t.Fatalf("t %q: %v", r.T, err)
		}
		rs = append(rs, r)
	}
	return rs
}

// Each kind of failure a rollout can cause, from a real local server that
// behaves that way.
func TestClassifiesEveryFailure(t *testing.T) {
	status := func(code int) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }))
		t.Cleanup(s.Close)
		return s.Listener.Addr().String()
	}
	reset := rawServer(t, func(c net.Conn) {
		readRequest(c)
		c.(*net.TCPConn).SetLinger(0) // close with RST
		c.Close()
	})
	eof := rawServer(t, func(c net.Conn) { readRequest(c); c.Close() })
	hang := rawServer(t, func(c net.Conn) { readRequest(c); time.Sleep(3 * time.Second); c.Close() })
	for _, tc := range []struct {
		name, addr, kind string
		code             int
	}{
		{"ok", status(200), kindOK, 200},
		{"503", status(503), kindHTTP5xx, 503},
		{"502", status(502), kindHTTP5xx, 502},
		{"404", status(404), kindHTTPOther, 404},
		{"refused", closedPort(t), kindRefused, 0},
		{"reset", reset, kindReset, 0},
		{"eof", eof, kindEOF, 0},
		{"timeout", hang, kindTimeout, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.jsonl")
			c := mustParse(t, "-target http://"+tc.addr+"/ -rate 20 -duration 250ms -timeout 500ms -out "+out)
			s, err := run(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if s.Requests != 5 {
				t.Fatalf("requests = %d, want 5 (20/s for 250ms)", s.Requests)
			}
			want := map[string]int{}
			if tc.kind != kindOK {
				want[tc.kind] = 5
			}
			if len(s.Failed) != len(want) || s.Failed[tc.kind] != want[tc.kind] {
				t.Fatalf("failed = %v, want %v", s.Failed, want)
			}
			rs := readRecords(t, out)
			if len(rs) != 5 {
				t.Fatalf("%d records", len(rs))
			}
			for _, r := range rs {
				if r.Kind != tc.kind || r.Status != tc.code || (tc.kind != kindOK) != (r.Err != "") {
					t.Fatalf("record %+v, want kind %s status %d", r, tc.kind, tc.code)
				}
			}
		})
	}
}

// Open loop: a slow server does not slow the schedule.
func TestOpenLoop(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(400 * time.Millisecond) }))
	defer s.Close()
	began := time.Now()
	sum, err := run(context.Background(), mustParse(t, "-target "+s.URL+"/ -rate 40 -duration 1s"))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); sum.Requests != 40 || len(sum.Failed) != 0 || d > 1800*time.Millisecond {
		t.Fatalf("%+v in %s, want 40 ok requests in about 1.4s", sum, d)
	}
}

type echoServer interface {
	Echo(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
}

type echo struct{}

func (echo) Echo(_ context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	return in, nil
}

func TestGRPC(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	gs.RegisterService(&grpc.ServiceDesc{
		ServiceName: "lab.Echo",
		HandlerType: (*echoServer)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Echo", Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			return srv.(echoServer).Echo(ctx, in)
		}}},
	}, echo{})
	go gs.Serve(l)
	defer gs.Stop()
	for _, tc := range []struct {
		flags, kind string
	}{
		{"-target grpc://" + l.Addr().String(), kindOK},
		{"-keepalive=false -target grpc://" + l.Addr().String(), kindOK},
		{"-target grpc://" + closedPort(t), kindRefused},
	} {
		s, err := run(context.Background(), mustParse(t, tc.flags+" -rate 20 -duration 200ms -timeout 1s"))
		if err != nil {
			t.Fatal(err)
		}
		if s.Requests != 4 || (tc.kind == kindOK && len(s.Failed) != 0) || (tc.kind != kindOK && s.Failed[tc.kind] != 4) {
			t.Fatalf("%s: %+v, want 4 %s", tc.flags, s, tc.kind)
		}
	}
}

// SIGTERM stops the real binary early; it still prints the summary.
func TestSigtermPrintsSummary(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer s.Close()
	u, _ := url.Parse(s.URL)
	cmd := exec.Command(os.Args[0], "-target", "http://"+u.Host+"/", "-rate", "50", "-duration", "30s")
	cmd.Env = append(os.Environ(), "LOADGEN_MAIN=1")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	b, _ := io.ReadAll(stdout)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
	var sum summary
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatalf("summary %q: %v", b, err)
	}
	if sum.Requests < 10 || sum.Requests > 50 || len(sum.Failed) != 0 || !strings.Contains(string(b), `"failed":{}`) {
		t.Fatalf("summary %s, want about 25 ok requests", b)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range []string{"", "-target ftp://x/", "-target http://x/ -rate 0", "-target http://x/ -duration 0s", "-target http://x/ extra"} {
		if _, err := parseConfig(strings.Fields(args)); err == nil {
			t.Errorf("parseConfig(%q) accepted", args)
		}
	}
}
