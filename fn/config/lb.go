package config

import (
	"fmt"
	"strconv"
	"strings"
)

// LoadBalancerConfig is how the load-balancer companions align the load
// balancer's drain timeout and health check with the plan. The zero value is
// the default: on, drain from the plan, health checks from readinessProbes.
type LoadBalancerConfig struct {
	// Disabled turns every load-balancer companion off.
	Disabled bool
	// DrainSeconds replaces the drain timeout computed from the plans (nil:
	// computed).
	DrainSeconds *int
	// NoHealthCheck stops the companions from writing health checks
	// (HealthCheckPolicy, BackendConfig healthCheck).
	NoHealthCheck bool
}

// PDBConfig is how the PodDisruptionBudget companion works. The zero value is
// the default: on, maxUnavailable 1.
type PDBConfig struct {
	// Disabled turns the companion off.
	Disabled bool
	// MaxUnavailable of the budgets it adds ("": 1).
	MaxUnavailable string
}

// DefaultPDBMaxUnavailable is the maxUnavailable of an added budget: one pod
// at a time may be evicted, so a node drain always makes progress.
const DefaultPDBMaxUnavailable = "1"

func readLBEnabled(c *Config, v string) error {
	on, err := parseBool(v)
	c.LoadBalancer.Disabled = err == nil && !on && v != ""
	return err
}

func readLBDrain(c *Config, v string) (err error) {
	c.LoadBalancer.DrainSeconds, err = parseSecondsPtr(v)
	return err
}

func readLBHealthCheck(c *Config, v string) error {
	on, err := parseBool(v)
	c.LoadBalancer.NoHealthCheck = err == nil && !on && v != ""
	return err
}

func readPDBEnabled(c *Config, v string) error {
	on, err := parseBool(v)
	c.PDB.Disabled = err == nil && !on && v != ""
	return err
}

func readPDBMaxUnavailable(c *Config, v string) error {
	if err := ValidateMaxUnavailable(v); err != nil {
		return err
	}
	c.PDB.MaxUnavailable = v
	return nil
}

// ValidateMaxUnavailable checks a budget's maxUnavailable: a whole number or
// a percentage above 0 (0 would forbid every eviction and block node drains).
func ValidateMaxUnavailable(v string) error {
	t := strings.TrimSuffix(v, "%")
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || (t != v && n > 100) {
		return fmt.Errorf("%q is not a whole number or a percentage", v)
	}
	if n == 0 {
		return fmt.Errorf("%q: a budget with maxUnavailable 0 allows no eviction and blocks every node drain", v)
	}
	return nil
}

// validateLB checks the load-balancer settings against the profile.
func (c *Config) validateLB() Errors {
	var errs Errors
	if d := c.LoadBalancer.DrainSeconds; d != nil && c.Profile.LB.MaxDrainSeconds > 0 && *d > c.Profile.LB.MaxDrainSeconds {
		errs = append(errs, FieldError{c.path("loadBalancerDrainSeconds"), fmt.Sprintf(
			"%d s is more than the %d s the load balancer of profile %s accepts", *d, c.Profile.LB.MaxDrainSeconds, c.Profile.Name)})
	}
	return errs
}

// PDBMaxUnavailable is the maxUnavailable of the budgets the function adds.
func (c *Config) PDBMaxUnavailable() string {
	if c.PDB.MaxUnavailable == "" {
		return DefaultPDBMaxUnavailable
	}
	return c.PDB.MaxUnavailable
}
