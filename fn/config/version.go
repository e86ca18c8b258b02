package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a major.minor version read as written: "1.30" is minor 30,
// "1.3" is minor 3. The zero Version means "not set".
type Version struct {
	Major, Minor int
}

// IsSet reports whether the version was given.
func (v Version) IsSet() bool { return v.Major != 0 || v.Minor != 0 }

// AtLeast reports whether v >= major.minor.
func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

func (v Version) String() string {
	if !v.IsSet() {
		return ""
	}
	return fmt.Sprintf("%d.%d", v.Major, v.Minor)
}

// ParseVersion reads "1.30", "v1.30" or "1.30.2" (the patch is ignored).
func ParseVersion(s string) (Version, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	// At most three parts: a suffix on the patch may itself hold dots
	// (1.30.2-gke.100); a fourth number still fails the patch's Atoi.
	parts := strings.SplitN(t, ".", 3)
	if len(parts) < 2 {
		return Version{}, fmt.Errorf("%q is not a version like 1.30", s)
	}
	var nums [3]int
	for i, p := range parts {
		if i == 2 {
			// allow a pre-release or build suffix on the patch: 1.30.2-gke.1
			if j := strings.IndexAny(p, "-+"); j >= 0 {
				p = p[:j]
			}
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 999 || (len(p) > 1 && p[0] == '0' && i == 0) {
			return Version{}, fmt.Errorf("%q is not a version like 1.30", s)
		}
		nums[i] = n
	}
	if nums[0] == 0 && nums[1] == 0 {
		return Version{}, fmt.Errorf("%q is not a version like 1.30", s)
	}
	return Version{Major: nums[0], Minor: nums[1]}, nil
}
