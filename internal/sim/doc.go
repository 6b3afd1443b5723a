// Package sim serves simulated LLM provider APIs on loopback, in each
// provider's documented wire shape, with faults that can be switched on and
// off while it runs. Tests, benchmarks and `provwatch demo` point provwatch
// at these servers instead of real providers.
//
// A Server is one provider (Start); a Fleet is many of mixed kinds with an
// OpenClaw config that names them (StartFleet); a Script changes faults on
// a timeline (NewScript, DemoScript). Everything listens on 127.0.0.1 only.
package sim
