package config

import "testing"

func TestParseVersion(t *testing.T) {
	testCases := []struct {
		in   string
		want Version
		ok   bool
	}{
		{"1.30", Version{1, 30}, true},
		{"1.3", Version{1, 3}, true},
		{"1.20", Version{1, 20}, true},
		{"v1.30", Version{1, 30}, true},
		{"v1.30.2", Version{1, 30}, true},
		{"1.29.0", Version{1, 29}, true},
		{" 1.31 ", Version{1, 31}, true},
		{"1.30.2-gke.100", Version{1, 30}, true},
		{"1.28.3-eks-4f4795d", Version{1, 28}, true},
		{"1.30.2+k3s1", Version{1, 30}, true},
		{"2.0", Version{2, 0}, true},
		{"0.9", Version{0, 9}, true},

		{"", Version{}, false},
		{"1", Version{}, false},
		{"v1", Version{}, false},
		{"1.", Version{}, false},
		{"1.x", Version{}, false},
		{"latest", Version{}, false},
		{"1.30.2.4", Version{}, false},
		{"1.30.x", Version{}, false},
		{"1.30-rc.1", Version{}, false},
		{"0.0", Version{}, false},
		{"-1.30", Version{}, false},
		{"1.-2", Version{}, false},
		{"01.30", Version{}, false},
		{"1.1000", Version{}, false},
		{"1,30", Version{}, false},
	}
	for _, tc := range testCases {
		got, err := ParseVersion(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseVersion(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseVersion(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestVersion_AtLeast(t *testing.T) {
	testCases := []struct {
		v            Version
		major, minor int
		want         bool
	}{
		{Version{1, 30}, 1, 30, true},
		{Version{1, 31}, 1, 30, true},
		{Version{1, 29}, 1, 30, false},
		// 1.3 is far older than 1.30: the reason versions are read as written.
		{Version{1, 3}, 1, 30, false},
		{Version{1, 20}, 1, 22, false},
		{Version{1, 22}, 1, 22, true},
		{Version{2, 0}, 1, 30, true},
		{Version{0, 99}, 1, 0, false},
		{Version{}, 1, 0, false},
	}
	for _, tc := range testCases {
		if got := tc.v.AtLeast(tc.major, tc.minor); got != tc.want {
			t.Errorf("%+v.AtLeast(%d, %d) = %v, want %v", tc.v, tc.major, tc.minor, got, tc.want)
		}
	}
}

func TestVersion_String(t *testing.T) {
	testCases := map[Version]string{
		{}:      "",
		{1, 30}: "1.30",
		{1, 3}:  "1.3",
		{2, 0}:  "2.0",
	}
	for v, want := range testCases {
		if got := v.String(); got != want {
			t.Errorf("%+v.String() = %q, want %q", v, got, want)
		}
		if v.IsSet() != (want != "") {
			t.Errorf("%+v.IsSet() = %v", v, v.IsSet())
		}
	}
	// String round-trips through ParseVersion.
	for _, in := range []string{"1.30", "1.3", "1.20", "1.100"} {
		v, err := ParseVersion(in)
		if err != nil || v.String() != in {
			t.Errorf("ParseVersion(%q).String() = %q, %v", in, v.String(), err)
		}
	}
}
