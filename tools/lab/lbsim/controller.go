package main

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/graceful-rollout/graceful-rollout/tools/lab/platform"
)

// Endpoint is one backend as the cluster shows it (from an EndpointSlice and
// its pod, or a node for instance targets).
type Endpoint struct {
	IP   string
	Port int
	Pod  string
	// Routable: the LB's controller would have it as a target (Ready, or
	// waiting only for this LB's own readiness gate).
	Routable bool
	// HasGate: the pod declares this LB's readiness gate.
	HasGate bool
}

func (e Endpoint) key() string { return fmt.Sprintf("%s:%d", e.IP, e.Port) }

// ServerStatus is a data-plane server's health and current sessions.
type ServerStatus struct {
	Up  bool
	Cur int
}

// DataPlane is the proxy lbsim programs (HAProxy, or nothing for
// kube-proxy).
type DataPlane interface {
	Add(name, ip string, port int) error
	Ready(name string) error
	Drain(name string) error
	Remove(name string) error
	Status() (map[string]ServerStatus, error)
}

// Event is one line of the events JSONL.
type Event struct {
	T      string `json:"t"`
	Event  string `json:"event"`
	Pod    string `json:"pod"`
	IP     string `json:"ip"`
	Port   int    `json:"port,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Delay is the attach or detach delay this event waited, in seconds
	// (target-added, target-draining): the drawn one under -jitter.
	Delay float64 `json:"delay,omitempty"`
}

type phase int

const (
	pending  phase = iota // seen routable, waiting for the attach delay
	attached              // in the LB, not (yet) healthy
	healthy               // in the LB and passing health checks
	draining              // no new requests; in-flight ones may finish
)

type target struct {
	ep         Endpoint
	name       string // data-plane server name
	phase      phase
	since      time.Time // routable since (pending) or draining since
	unroutable time.Time // zero while routable
	gateTrue   bool
	sawCur     bool // a status poll happened after draining began
	// attachMul and detachMul stretch this target's attach and detach
	// delays (Controller.Stress: drawn once per event).
	attachMul, detachMul float64
}

// Controller applies a platform's delays to the endpoints it is shown. It is
// driven by Step (no goroutines, no clock of its own), so tests can run it on
// a fake clock.
type Controller struct {
	S        platform.Settings
	Gate     string // condition type to set, "" for none
	GateWhen string // "attach" or "healthy"
	DP       DataPlane
	SetGate  func(pod string, status bool) error
	Emit     func(Event)
	Logf     func(format string, args ...any)
	// Stress multiplies each event's attach and detach delay by a draw
	// (nil: the delays as they are).
	Stress *platform.Stress

	live     map[string]*target // by ip:port
	draining []*target
	seq      int
}

func (c *Controller) emit(now time.Time, ev string, t *target, detail string) {
	c.Emit(Event{T: now.UTC().Format(time.RFC3339Nano), Event: ev, Pod: t.ep.Pod, IP: t.ep.IP, Port: t.ep.Port, Detail: detail})
}

func (c *Controller) emitDelay(now time.Time, ev string, t *target, detail string, d time.Duration) {
	c.Emit(Event{T: now.UTC().Format(time.RFC3339Nano), Event: ev, Pod: t.ep.Pod, IP: t.ep.IP, Port: t.ep.Port, Detail: detail,
		Delay: math.Round(d.Seconds()*1000) / 1000})
}

// stretch is a delay times a target's drawn multiplier (0: none drawn).
func stretch(d time.Duration, mul float64) time.Duration {
	if mul == 0 || mul == 1 {
		return d
	}
	return time.Duration(float64(d) * mul)
}

func (c *Controller) logf(format string, args ...any) {
	if c.Logf != nil {
		c.Logf(format, args...)
	}
}

// Step moves every target as far as the time and the endpoints allow.
func (c *Controller) Step(now time.Time, eps []Endpoint) {
	if c.live == nil {
		c.live = map[string]*target{}
	}
	seen := map[string]bool{}
	for _, e := range eps {
		k := e.key()
		seen[k] = true
		t := c.live[k]
		if t == nil {
			if !e.Routable {
				continue
			}
			t = &target{ep: e, phase: pending, since: now, attachMul: c.Stress.Multiplier()}
			c.live[k] = t
		}
		if e.Pod != "" {
			t.ep.Pod = e.Pod
		}
		t.ep.HasGate = e.HasGate
		if e.Routable {
			t.unroutable = time.Time{}
		} else if t.unroutable.IsZero() {
			t.unroutable, t.detachMul = now, c.Stress.Multiplier()
		}
	}
	for k, t := range c.live {
		if !seen[k] && t.unroutable.IsZero() {
			t.unroutable, t.detachMul = now, c.Stress.Multiplier() // gone from the EndpointSlice
		}
	}

	var status map[string]ServerStatus
	if len(c.live)+len(c.draining) > 0 {
		var err error
		if status, err = c.DP.Status(); err != nil {
			c.logf("data plane status: %v", err)
			return
		}
	}

	keys := make([]string, 0, len(c.live))
	for k := range c.live {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c.stepLive(now, k, c.live[k], status)
	}
	kept := c.draining[:0]
	for _, t := range c.draining {
		if !c.stepDraining(now, t, status) {
			kept = append(kept, t)
		}
	}
	c.draining = kept
}

func (c *Controller) stepLive(now time.Time, k string, t *target, status map[string]ServerStatus) {
	switch t.phase {
	case pending:
		if !t.unroutable.IsZero() {
			delete(c.live, k) // left before the LB attached it
			return
		}
		attach := stretch(c.S.Attach, t.attachMul)
		if now.Sub(t.since) < attach {
			return
		}
		c.seq++
		t.name = fmt.Sprintf("t%d-%s-%d", c.seq, t.ep.IP, t.ep.Port)
		if err := c.DP.Add(t.name, t.ep.IP, t.ep.Port); err != nil {
			c.logf("add %s: %v", t.name, err)
			return
		}
		t.phase = attached
		c.emitDelay(now, "target-added", t, t.name, attach)
		c.syncGate(now, t)
		return
	case attached, healthy:
		st, ok := status[t.name]
		if ok && st.Up && t.phase == attached {
			if err := c.DP.Ready(t.name); err != nil {
				c.logf("ready %s: %v", t.name, err)
				return
			}
			t.phase = healthy
			c.emit(now, "target-healthy", t, "")
		} else if ok && !st.Up && t.phase == healthy {
			t.phase = attached
			c.emit(now, "target-unhealthy", t, "failed the LB's health checks")
		}
		if t.unroutable.IsZero() {
			c.syncGate(now, t)
		}
		detach := stretch(c.S.Detach, t.detachMul)
		if t.unroutable.IsZero() || now.Sub(t.unroutable) < detach {
			return
		}
		if err := c.DP.Drain(t.name); err != nil {
			c.logf("drain %s: %v", t.name, err)
			return
		}
		t.phase = draining
		t.since = now
		delete(c.live, k)
		c.draining = append(c.draining, t)
		c.emitDelay(now, "target-draining", t, "", detach)
	}
}

// stepDraining removes a draining target once nothing is in flight (seen
// in a status taken after the drain began) or the drain timeout passed.
func (c *Controller) stepDraining(now time.Time, t *target, status map[string]ServerStatus) bool {
	st, ok := status[t.name]
	idle := ok && st.Cur == 0 && t.sawCur
	t.sawCur = true
	if !idle && now.Sub(t.since) < c.S.Drain {
		return false
	}
	if err := c.DP.Remove(t.name); err != nil {
		c.logf("remove %s: %v", t.name, err)
		return false
	}
	reason := "nothing in flight"
	if !idle {
		reason = "drain timeout"
	}
	c.emit(now, "target-removed", t, reason)
	return true
}

// syncGate sets the pod's readiness-gate condition as the platform's
// controller would: True once attached (GKE NEG race) or once healthy; back
// to False when a healthy-gated target fails its health checks. Failures
// are retried at the next step.
func (c *Controller) syncGate(now time.Time, t *target) {
	if c.Gate == "" || !t.ep.HasGate || t.ep.Pod == "" {
		return
	}
	switch {
	case c.GateWhen == "attach" && !t.gateTrue:
		c.setGate(now, t, true, "attached to the LB, not yet health-checked")
	case c.GateWhen == "healthy" && t.phase == healthy && !t.gateTrue:
		c.setGate(now, t, true, "healthy in the LB")
	case c.GateWhen == "healthy" && t.phase != healthy && t.gateTrue:
		c.setGate(now, t, false, "unhealthy in the LB")
	}
}

func (c *Controller) setGate(now time.Time, t *target, v bool, why string) {
	if err := c.SetGate(t.ep.Pod, v); err != nil {
		c.logf("gate %s on %s: %v", c.Gate, t.ep.Pod, err)
		return
	}
	t.gateTrue = v
	ev := "gate-false"
	if v {
		ev = "gate-true"
	}
	c.emit(now, ev, t, c.Gate+": "+why)
}
