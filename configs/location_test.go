package configs

import "testing"

func TestParseLocation(t *testing.T) {
	t.Parallel()
	good := []struct {
		in      string
		schemes []Scheme
		want    Location
	}{
		{"none", TargetSchemes, Location{Scheme: SchemeNone}},
		{" ssm:/openclaw/model-order ", TargetSchemes, Location{Scheme: SchemeSSM, Path: "/openclaw/model-order"}},
		{"file:/srv/order.json", TargetSchemes, Location{Scheme: SchemeFile, Path: "/srv/order.json"}},
		{"openclaw:/home/u/.openclaw/openclaw.json", TargetSchemes, Location{Scheme: SchemeOpenClaw, Path: "/home/u/.openclaw/openclaw.json"}},
		{"auto", StateSchemes, Location{Scheme: SchemeAuto}},
		{"memory", StateSchemes, Location{Scheme: SchemeMemory}},
		{"ssm:/pw/state", StateSchemes, Location{Scheme: SchemeSSM, Path: "/pw/state"}},
	}
	for _, tc := range good {
		got, err := ParseLocation(tc.in, tc.schemes...)
		if err != nil || got != tc.want {
			t.Errorf("ParseLocation(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if err == nil {
			if again, _ := ParseLocation(got.String(), tc.schemes...); again != got {
				t.Errorf("%q does not round-trip through String: %q", tc.in, got.String())
			}
		}
	}
	bad := []struct {
		in      string
		schemes []Scheme
		msg     string
	}{
		{"s3://bucket/x", TargetSchemes, `"s3://bucket/x" is not one of none, ssm:/parameter/name, file:/path, openclaw:/path`},
		{"file:", TargetSchemes, `"file:" names no file (write file:/path)`},
		{"ssm: ", TargetSchemes, `"ssm:" names no parameter (write ssm:/parameter/name)`},
		{"openclaw:", TargetSchemes, `"openclaw:" names no file (write openclaw:/path)`},
		{"ssm:/a b", TargetSchemes, `"ssm:/a b" is not a valid SSM parameter name (letters, digits, _ . - /)`},
		{"openclaw:/x", StateSchemes, `"openclaw:/x" is not one of auto, memory, file:/path, ssm:/parameter/name`},
		{"redis://x", StateSchemes, `"redis://x" is not one of auto, memory, file:/path, ssm:/parameter/name`},
		{"auto", TargetSchemes, `"auto" is not one of none, ssm:/parameter/name, file:/path, openclaw:/path`},
	}
	for _, tc := range bad {
		if _, err := ParseLocation(tc.in, tc.schemes...); err == nil || err.Error() != tc.msg {
			t.Errorf("ParseLocation(%q) error = %v, want %s", tc.in, err, tc.msg)
		}
	}
}
