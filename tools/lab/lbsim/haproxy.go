package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/graceful-rollout/graceful-rollout/tools/lab/platform"
)

const backend = "be"

// HAProxy is a real HAProxy process, programmed through its runtime API
// (dynamic servers: add server, enable health, set server state, del server).
type HAProxy struct {
	dir  string
	sock string
	cmd  *exec.Cmd
	s    platform.Settings
	mode string
	done chan error
}

// ms renders a duration for HAProxy (at least 1 ms).
func ms(d time.Duration) string {
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// Config is the HAProxy configuration: one frontend on listen, one backend
// whose servers are all added at run time.
func haproxyConfig(sock, listen, mode string, s platform.Settings) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global\n  stats socket %s mode 600 level admin\n  maxconn 4096\n", sock)
	fmt.Fprintf(&b, "defaults\n  mode %s\n  timeout connect 5s\n  timeout client 120s\n  timeout server 120s\n", mode)
	if s.HealthInterval > 0 {
		fmt.Fprintf(&b, "  timeout check %s\n", ms(s.HealthTimeout))
	}
	// A failed connection is retried only where the platform retries
	// (ingress-nginx); the cloud LBs pass the error to the client.
	fmt.Fprintf(&b, "  retries %d\n", s.Retries)
	if s.Retries > 0 {
		b.WriteString("  option redispatch 1\n")
		if mode == "http" {
			b.WriteString("  retry-on conn-failure empty-response response-timeout\n")
		}
	}
	if mode == "http" {
		// A connection per request to the server: what the LB sends after a
		// target is removed fails visibly, and idle connections never keep
		// a deleted server alive.
		b.WriteString("  option http-server-close\n")
	}
	fmt.Fprintf(&b, "frontend fe\n  bind %s\n  default_backend %s\n", listen, backend)
	fmt.Fprintf(&b, "backend %s\n  balance roundrobin\n", backend)
	if s.HealthInterval > 0 && mode == "http" {
		path := s.HealthPath
		if path == "" {
			path = "/"
		}
		fmt.Fprintf(&b, "  option httpchk GET %s\n", path)
	}
	return b.String()
}

// StartHAProxy writes the configuration into a fresh directory and starts
// HAProxy in the foreground; it dies with lbsim (Pdeathsig).
func StartHAProxy(bin, listen, mode string, s platform.Settings) (*HAProxy, error) {
	if _, err := exec.LookPath(bin); err != nil {
		return nil, fmt.Errorf("haproxy %s: %w (install Debian's haproxy: apt-get install haproxy)", bin, err)
	}
	dir, err := os.MkdirTemp("", "lbsim-")
	if err != nil {
		return nil, err
	}
	h := &HAProxy{dir: dir, sock: filepath.Join(dir, "admin.sock"), s: s, mode: mode, done: make(chan error, 1)}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(haproxyConfig(h.sock, listen, mode, s)), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if out, err := exec.Command(bin, "-c", "-q", "-f", cfg).CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("haproxy rejects its configuration: %v: %s", err, out)
	}
	h.cmd = exec.Command(bin, "-db", "-f", cfg)
	h.cmd.Stdout = os.Stderr
	h.cmd.Stderr = os.Stderr
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := h.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { h.done <- h.cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := h.run("show info"); err == nil {
			return h, nil
		}
		select {
		case err := <-h.done:
			os.RemoveAll(dir)
			return nil, fmt.Errorf("haproxy exited at start: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			h.Stop()
			return nil, errors.New("haproxy runtime API not answering after 10s")
		}
	}
}

// Stop ends HAProxy and removes its directory.
func (h *HAProxy) Stop() {
	if h.cmd != nil && h.cmd.Process != nil {
		h.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-h.done:
		case <-time.After(5 * time.Second):
			h.cmd.Process.Kill()
			<-h.done
		}
	}
	os.RemoveAll(h.dir)
}

// run sends one runtime API command and returns its answer.
func (h *HAProxy) run(cmd string) (string, error) {
	c, err := net.DialTimeout("unix", h.sock, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return strings.TrimSpace(string(b)), err
}

// exec runs a command whose only successful answers are empty or ok.
func (h *HAProxy) exec(cmd string, ok ...string) error {
	out, err := h.run(cmd)
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if out == "" {
		return nil
	}
	for _, o := range ok {
		if strings.Contains(out, o) {
			return nil
		}
	}
	return fmt.Errorf("%s: %s", cmd, out)
}

// Add adds a server in maintenance with health checks running: HAProxy
// checks it every interval, and it counts as up once it passed
// healthy-threshold checks in a row (as a new target of a cloud LB); Ready
// then lets traffic in. Without health checks it is up at once.
func (h *HAProxy) Add(name, ip string, port int) error {
	srv := backend + "/" + name
	line := fmt.Sprintf("add server %s %s", srv, net.JoinHostPort(ip, strconv.Itoa(port)))
	checks := h.s.HealthInterval > 0
	if checks {
		line += fmt.Sprintf(" check inter %s rise %d fall %d", ms(h.s.HealthInterval), max(h.s.HealthyThreshold, 1), max(h.s.UnhealthyThreshold, 1))
	}
	if err := h.exec(line, "New server registered"); err != nil {
		return err
	}
	if checks {
		return h.exec("enable health " + srv)
	}
	return nil
}

// Ready lets traffic in to a server that passed its health checks.
func (h *HAProxy) Ready(name string) error {
	return h.exec("set server " + backend + "/" + name + " state ready")
}

// Drain stops new requests to the server; those in flight continue.
func (h *HAProxy) Drain(name string) error {
	return h.exec("set server " + backend + "/" + name + " state drain")
}

// Remove cuts what is left and deletes the server.
func (h *HAProxy) Remove(name string) error {
	srv := backend + "/" + name
	if err := h.exec("set server " + srv + " state maint"); err != nil {
		return err
	}
	if err := h.exec("shutdown sessions server " + srv); err != nil {
		return err
	}
	var err error
	for i := 0; i < 20; i++ { // sessions close asynchronously
		if err = h.exec("del server "+srv, "Server deleted"); err == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return err
}

// Status reads every server's state and current sessions from show stat.
func (h *HAProxy) Status() (map[string]ServerStatus, error) {
	out, err := h.run("show stat")
	if err != nil {
		return nil, err
	}
	return parseStat(out)
}

func parseStat(out string) (map[string]ServerStatus, error) {
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "# ")))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("show stat: %w", err)
	}
	if len(rows) == 0 {
		return nil, errors.New("show stat: empty")
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, name := range []string{"pxname", "svname", "scur", "status", "check_status", "check_health", "check_rise"} {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("show stat: no column %s", name)
		}
	}
	st := map[string]ServerStatus{}
	for _, row := range rows[1:] {
		if len(row) <= col["status"] || row[col["pxname"]] != backend {
			continue
		}
		name := row[col["svname"]]
		if name == "BACKEND" || name == "FRONTEND" {
			continue
		}
		cur, _ := strconv.Atoi(row[col["scur"]])
		s := row[col["status"]]
		// "UP", "UP 1/2" (going down) and "no check" are up; "DOWN",
		// "DOWN 1/2" (going up) are not. A server in MAINT (added, not yet
		// ready) is up once its checks passed rise times (check_health
		// reaches check_rise), or when it has no checks.
		up := strings.HasPrefix(s, "UP") || s == "no check"
		if s == "MAINT" {
			health, _ := strconv.Atoi(row[col["check_health"]])
			rise, _ := strconv.Atoi(row[col["check_rise"]])
			up = row[col["check_status"]] == "" || (rise > 0 && health >= rise)
		}
		st[name] = ServerStatus{Up: up, Cur: cur}
	}
	return st, nil
}

// nullPlane is the data plane of kube-proxy: the real kube-proxy routes;
// lbsim only records what the EndpointSlices show.
type nullPlane struct{ servers map[string]bool }

func (n *nullPlane) Add(name, _ string, _ int) error {
	if n.servers == nil {
		n.servers = map[string]bool{}
	}
	n.servers[name] = true
	return nil
}
func (n *nullPlane) Ready(string) error { return nil }
func (n *nullPlane) Drain(string) error { return nil }
func (n *nullPlane) Remove(name string) error {
	delete(n.servers, name)
	return nil
}
func (n *nullPlane) Status() (map[string]ServerStatus, error) {
	st := map[string]ServerStatus{}
	for s := range n.servers {
		st[s] = ServerStatus{Up: true}
	}
	return st, nil
}
