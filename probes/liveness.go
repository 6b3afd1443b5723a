package probes

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/provwatch/provwatch/internal/redact"
)

// Alive is a liveness check: one GET of the base URL's root with its own
// short timeout, for a self-hosted provider between scheduled probes. Any
// HTTP answer, whatever its status, means the server is up: that says
// nothing about its models, so alive is true and Result is empty. No answer
// (refused, reset, DNS, TLS, a hang past timeout) is an observation: the
// Result has every wanted model down, as a probe that failed the same way
// would, and alive is false.
//
// When ctx itself ends first (the cycle's deadline, a shutdown), the
// check is no observation: the Result comes back marked Cut.
func (p *Prober) Alive(parent context.Context, job Job, timeout time.Duration) (res Result, alive bool) {
	prov := job.Provider
	if parent.Err() != nil {
		return p.cut(job, "was not started"), false
	}
	start := p.now()
	res = Result{ProviderID: prov.ID, API: string(flavourOf(prov)), BaseURL: redact.URL(prov.BaseURL), Start: start}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	sec := secretsOf(prov)
	s := &session{p: p, ctx: ctx, prov: prov, flavour: flavourOf(prov), maxBody: errorBodyCap, limit: timeout, secrets: sec}
	wants := withConfigured(prov, job.Models)
	if v := precheck(s); v != nil {
		res.Probe.Error, res.Models = v.Detail, failAll(wants, v)
		scrub(&res, sec)
		return res, false
	}
	root := (&url.URL{Scheme: s.base.Scheme, Host: s.base.Host, Path: "/"}).String()
	r := s.do(http.MethodGet, root, nil, statusOnly)
	if r.err == nil {
		return Result{}, true
	}
	if parent.Err() != nil {
		return p.cut(job, "was cut short"), false
	}
	v := s.transportVerdict(r)
	v.Detail = fmt.Sprintf("%s (liveness check)", v.Detail)
	res.Probe = ProbeInfo{LatencyMS: ms(p.now().Sub(start)), Phases: r.phases, Error: v.Detail}
	res.Models = failAll(wants, v)
	scrub(&res, sec)
	return res, false
}
