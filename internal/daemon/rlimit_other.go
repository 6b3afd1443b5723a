//go:build !unix

package daemon

// openFileLimit has no RLIMIT_NOFILE to read here.
func openFileLimit() int { return 1024 }
