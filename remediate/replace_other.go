//go:build !linux

package remediate

// exchange is not available here: the caller checks, then renames.
func exchange(a, b string) (bool, error) { return false, nil }
