package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The tests run the app as a real process (this test binary re-executed with
// LABAPP_MAIN=1), send it real signals and talk to it over loopback.
func TestMain(m *testing.M) {
	if os.Getenv("LABAPP_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	events chan event
	http   string
	grpc   string
	done   chan error
}

// start runs the app with args and env; it returns once the app logged
// "start".
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "LABAPP_MAIN=1", "POD_NAME=test-pod"), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, events: make(chan event, 16), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var e event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Errorf("not a JSON event: %q", sc.Text())
				continue
			}
			p.events <- e
		}
		close(p.events)
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	p.expect("start", 5*time.Second)
	return p
}

// expect waits for the next event, which must be name.
func (p *proc) expect(name string, within time.Duration) event {
	p.t.Helper()
	select {
	case e, ok := <-p.events:
		if !ok {
			p.t.Fatalf("app ended before %q", name)
		}
		if e.Event != name || e.Pod != "test-pod" {
			p.t.Fatalf("event %+v, want %q of test-pod", e, name)
		}
		if _, err := time.Parse(time.RFC3339Nano, e.T); err != nil {
			p.t.Fatalf("event time %q: %v", e.T, err)
		}
		if name == "listening" {
			p.http, p.grpc = e.HTTP, e.GRPC
		}
		return e
	case <-time.After(within):
		p.t.Fatalf("no %q within %s", name, within)
	}
	return event{}
}

func (p *proc) wait(within time.Duration) {
	p.t.Helper()
	select {
	case err := <-p.done:
		if err != nil {
			p.t.Fatalf("app exit: %v", err)
		}
	case <-time.After(within):
		p.t.Fatalf("app still running after %s", within)
	}
}

func get(t *testing.T, url string) (int, string, error) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func mustGet(t *testing.T, url string, wantCode int, wantBody string) {
	t.Helper()
	code, body, err := get(t, url)
	if err != nil || code != wantCode || !strings.Contains(body, wantBody) {
		t.Fatalf("GET %s = %d %q %v, want %d %q", url, code, body, err, wantCode, wantBody)
	}
}

func grpcHealth(t *testing.T, addr string) healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatalf("health check: %v", err)
	}
	return r.GetStatus()
}

func TestReadyThenExitAtOnce(t *testing.T) {
	p := start(t, nil, "-http", "127.0.0.1:0", "-grpc", "127.0.0.1:0", "-ready-delay", "400ms")
	p.expect("listening", 5*time.Second)
	base := "http://" + p.http
	mustGet(t, base+"/healthz", 503, "not ready")
	mustGet(t, base+"/healthz/ready", 503, "not ready") // any probe path
	mustGet(t, base+"/", 200, "pod test-pod")           // serving before ready, like a real app
	if s := grpcHealth(t, p.grpc); s != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("gRPC health before ready = %v", s)
	}
	p.expect("ready", 5*time.Second)
	mustGet(t, base+"/healthz", 200, "ok")
	mustGet(t, base+"/readyz", 200, "ok")
	if s := grpcHealth(t, p.grpc); s != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("gRPC health after ready = %v", s)
	}
	conn, err := grpc.NewClient(p.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	out := new(wrapperspb.StringValue)
	if err := conn.Invoke(context.Background(), "/lab.Echo/Echo", wrapperspb.String("hi"), out); err != nil || out.GetValue() != "hi" {
		t.Fatalf("Echo = %q, %v", out.GetValue(), err)
	}

	// A request in flight when SIGTERM arrives is cut: the process exits at once.
	inflight := make(chan error, 1)
	go func() { _, _, err := get(t, base+"/sleep?seconds=5"); inflight <- err }()
	time.Sleep(200 * time.Millisecond)
	sent := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if e := p.expect("sigterm", 2*time.Second); e.Mode != "exit" {
		t.Fatalf("sigterm mode %q", e.Mode)
	}
	p.expect("exit", 2*time.Second)
	p.wait(2 * time.Second)
	if d := time.Since(sent); d > time.Second {
		t.Fatalf("exit took %s after SIGTERM", d)
	}
	if err := <-inflight; err == nil {
		t.Fatal("in-flight request succeeded although the app exited at once")
	}
	if _, _, err := get(t, base+"/"); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("after exit: %v, want connection refused", err)
	}
}

func TestStartupDelay(t *testing.T) {
	addr := freeAddr(t)
	began := time.Now()
	p := start(t, []string{"LAB_STARTUP_DELAY=500ms", "LAB_GRPC=0", "LAB_HTTP=" + addr})
	if _, _, err := get(t, "http://"+addr+"/"); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("during startup delay: %v, want connection refused", err)
	}
	e := p.expect("listening", 5*time.Second)
	if d := time.Since(began); d < 500*time.Millisecond {
		t.Fatalf("listening after %s, before the 500ms startup delay", d)
	}
	if e.GRPC != "" {
		t.Fatalf("gRPC listening on %s although disabled", e.GRPC)
	}
	p.expect("ready", 5*time.Second) // ready delay 0
	mustGet(t, "http://"+addr+"/healthz", 200, "ok")
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.expect("sigterm", 2*time.Second)
	p.expect("exit", 2*time.Second)
	p.wait(2 * time.Second)
}

func TestDrain(t *testing.T) {
	p := start(t, []string{"LAB_ON_SIGTERM=drain"}, "-http", "127.0.0.1:0", "-grpc", "127.0.0.1:0",
		"-drain", "1s", "-latency", "300ms")
	p.expect("listening", 5*time.Second)
	p.expect("ready", 5*time.Second)
	base := "http://" + p.http

	inflight := make(chan int, 1)
	go func() { code, _, _ := get(t, base+"/"); inflight <- code }()
	time.Sleep(100 * time.Millisecond)
	sent := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if e := p.expect("sigterm", 2*time.Second); e.Mode != "drain" {
		t.Fatalf("sigterm mode %q", e.Mode)
	}
	if code := <-inflight; code != 200 {
		t.Fatalf("in-flight request during drain = %d", code)
	}
	// New requests are still served during the drain.
	mustGet(t, base+"/", 200, "pod test-pod")
	p.expect("exit", 3*time.Second)
	p.wait(2 * time.Second)
	if d := time.Since(sent); d < time.Second || d > 2*time.Second {
		t.Fatalf("exit %s after SIGTERM, want about the 1s drain", d)
	}
	if _, _, err := get(t, base+"/"); err == nil {
		t.Fatal("served after exit")
	}
}

func TestSleepEndpoint(t *testing.T) {
	p := start(t, nil, "-http", "127.0.0.1:0", "-grpc", "0")
	p.expect("listening", 5*time.Second)
	began := time.Now()
	mustGet(t, "http://"+p.http+"/sleep?seconds=0.3", 200, "slept 0.3s")
	if d := time.Since(began); d < 300*time.Millisecond {
		t.Fatalf("/sleep?seconds=0.3 returned after %s", d)
	}
	mustGet(t, "http://"+p.http+"/sleep?seconds=x", 400, "seconds")
	mustGet(t, "http://"+p.http+"/any/probe", 200, "ok")
}

// A swapped container answers on every port it declared or probed: a list of
// HTTP addresses and a list of gRPC addresses, all served by one app.
func TestManyAddresses(t *testing.T) {
	h1, h2, g1, g2 := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	p := start(t, []string{"LAB_HTTP=" + h1 + "," + h2, "LAB_GRPC=" + g1 + ", " + g2})
	e := p.expect("listening", 5*time.Second)
	if e.HTTP != h1+","+h2 || e.GRPC != g1+","+g2 {
		t.Fatalf("listening on http %q grpc %q, want %q and %q", e.HTTP, e.GRPC, h1+","+h2, g1+","+g2)
	}
	p.expect("ready", 5*time.Second)
	for _, a := range []string{h1, h2} {
		mustGet(t, "http://"+a+"/", 200, "pod test-pod")
	}
	for _, a := range []string{g1, g2} {
		if s := grpcHealth(t, a); s != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("gRPC health on %s = %v", a, s)
		}
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.expect("sigterm", 2*time.Second)
	p.expect("exit", 2*time.Second)
	p.wait(2 * time.Second)
}

// An address already taken fails the start (exit 1), naming it.
func TestAddressInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cmd := exec.Command(os.Args[0], "-http", freeAddr(t)+","+l.Addr().String(), "-grpc", "0")
	cmd.Env = append(os.Environ(), "LABAPP_MAIN=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), l.Addr().String()) {
		t.Fatalf("start on a taken address: %v, output %q; want exit 1 naming %s", err, out, l.Addr())
	}
}

// -init plays an init container: start, exit 0, nothing listens.
func TestInit(t *testing.T) {
	addr := freeAddr(t)
	p := start(t, []string{"LAB_INIT=true", "LAB_HTTP=" + addr})
	p.expect("exit", 2*time.Second)
	p.wait(2 * time.Second)
	if _, _, err := get(t, "http://"+addr+"/"); err == nil {
		t.Fatal("an init container is listening")
	}
}

func TestParseConfig(t *testing.T) {
	env := map[string]string{"LAB_LATENCY": "50ms", "LAB_ON_SIGTERM": "drain", "LAB_DRAIN": "5s", "POD_NAME": "p1"}
	c, err := parseConfig([]string{"-drain", "7s"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Latency != 50*time.Millisecond || c.OnSigterm != "drain" || c.Drain != 7*time.Second || c.Pod != "p1" || c.HTTP != ":8080" || c.GRPC != ":9090" {
		t.Fatalf("config %+v", c)
	}
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-on-sigterm", "wait"}, nil, `-on-sigterm "wait"`},
		{[]string{"-drain", "-1s"}, nil, "-drain -1s"},
		{nil, map[string]string{"LAB_READY_DELAY": "soon"}, `LAB_READY_DELAY="soon"`},
		{[]string{"-http", "0"}, nil, "-http"},
		{[]string{"extra"}, nil, `unexpected argument "extra"`},
		{[]string{"-bogus"}, nil, "bogus"},
	} {
		_, err := parseConfig(tc.args, func(k string) string { return tc.env[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseConfig(%q, %v) = %v, want error with %q", tc.args, tc.env, err, tc.want)
		}
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
