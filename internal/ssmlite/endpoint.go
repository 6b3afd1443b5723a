package ssmlite

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/provwatch/provwatch/internal/redact"
)

// region reads the region as the SDK does: AWS_REGION, else
// AWS_DEFAULT_REGION. There is no shared config file to fall back on.
func region(getenv func(string) string) (string, error) {
	r := strings.TrimSpace(getenv("AWS_REGION"))
	if r == "" {
		r = strings.TrimSpace(getenv("AWS_DEFAULT_REGION"))
	}
	if r == "" {
		return "", fmt.Errorf("no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION) to the region of the order parameter, e.g. AWS_REGION=us-east-1")
	}
	// The region becomes part of a host name and of the signature's scope:
	// anything but a DNS label would send the request somewhere else.
	for _, c := range r {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return "", fmt.Errorf("AWS region %q is not a region name (lower-case letters, digits and dashes, like us-east-1)", r)
		}
	}
	return r, nil
}

// dnsSuffix is the partition's domain for a region, as the SDK's partition
// table has it; everything not matched is the standard partition.
func dnsSuffix(region string) string {
	for _, p := range []struct{ prefix, suffix string }{
		{"cn-", "amazonaws.com.cn"},
		{"eusc-", "amazonaws.eu"},
		{"us-isob-", "sc2s.sgov.gov"},
		{"us-isof-", "csp.hci.ic.gov"},
		{"us-iso-", "c2s.ic.gov"},
		{"eu-isoe-", "cloud.adc-e.uk"},
	} {
		if strings.HasPrefix(region, p.prefix) {
			return p.suffix
		}
	}
	return "amazonaws.com"
}

// serviceURL is the SDK's endpoint rule for SSM and STS: the regional
// endpoint, or with FIPS the service's "-fips" host, except in GovCloud
// where the regional endpoint is the FIPS one.
func serviceURL(service, region string, fips bool) string {
	host := service
	if fips && !strings.HasPrefix(region, "us-gov-") {
		host += "-fips"
	}
	return "https://" + host + "." + region + "." + dnsSuffix(region)
}

// endpoint is where calls to service go: an explicit endpoint from the
// environment (AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL) wins, as
// it does for the SDK, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true.
func endpoint(getenv func(string) string, service, region string) (*url.URL, error) {
	fips, err := boolEnv(getenv, "AWS_USE_FIPS_ENDPOINT")
	if err != nil {
		return nil, err
	}
	raw, from := "", ""
	ignore, err := boolEnv(getenv, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
	if err != nil {
		return nil, err
	}
	if !ignore {
		for _, name := range []string{"AWS_ENDPOINT_URL_" + strings.ToUpper(service), "AWS_ENDPOINT_URL"} {
			if v := strings.TrimSpace(getenv(name)); v != "" {
				raw, from = v, name
				break
			}
		}
	}
	if raw == "" {
		raw, from = serviceURL(service, region, fips), ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s=%s is not an http(s) URL with a host", from, redact.URL(raw))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s: an endpoint URL takes no user, query or fragment (scheme, host, port and path only)", from)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// boolEnv reads a true/false setting as the SDK does: case-insensitive,
// empty is false, anything else is a mistake worth stopping for.
func boolEnv(getenv func(string) string, name string) (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(getenv(name))); v {
	case "true":
		return true, nil
	case "false", "":
		return false, nil
	default:
		return false, fmt.Errorf("%s=%q: set it to true or false", name, v)
	}
}

// hostHeader is the Host the request carries and the signature covers: the
// URL's host without the scheme's default port, as the SDK sends it.
func hostHeader(u *url.URL) string {
	h, port := u.Hostname(), u.Port()
	if port == "" || (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	return u.Host
}
