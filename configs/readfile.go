package configs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
)

// Limits on reading configuration, so that a hostile or broken file cannot
// exhaust memory or time.
const (
	// maxConfigFile bounds each configuration file, the main one, every
	// $include and the settings: OpenClaw's own limit for an included
	// file (MAX_INCLUDE_FILE_BYTES); real configs are a few kilobytes.
	maxConfigFile = 2 << 20
	// maxIncludeLoads bounds the files one config may load through
	// $include, counting a file included twice twice: includes that fan
	// out at every level multiply.
	maxIncludeLoads = 256
)

// errTooLarge is a file over maxConfigFile.
var errTooLarge = fmt.Errorf("larger than %d MiB", maxConfigFile>>20)

// notRegularError is a path that is a FIFO, a device, a socket or a
// directory where a regular file is needed.
type notRegularError struct{ mode fs.FileMode }

func (e *notRegularError) Error() string {
	what := "not a regular file"
	switch t := e.mode.Type(); {
	case t&fs.ModeNamedPipe != 0:
		what += " (a FIFO)"
	case t&fs.ModeDevice != 0 || t&fs.ModeCharDevice != 0:
		what += " (a device)"
	case t&fs.ModeSocket != 0:
		what += " (a socket)"
	case t&fs.ModeDir != 0:
		what += " (a directory)"
	}
	return what
}

// readConfigFile reads one configuration file of at most maxConfigFile
// bytes. With regularOnly (every $include, as OpenClaw requires, and the
// settings) anything but a regular file is refused before it is opened;
// the main OpenClaw config may also be a pipe (--openclaw-config <(…)).
// The read honours ctx: a file that never delivers, such as a FIFO nobody
// writes, is abandoned when ctx ends, and a pipe being read is closed.
func readConfigFile(ctx context.Context, path string, regularOnly bool) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if regularOnly {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, &notRegularError{fi.Mode()}
		}
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	var mu sync.Mutex
	var opened *os.File
	abandoned := false
	go func() {
		// Opening a FIFO blocks until a writer comes: in this goroutine,
		// so the caller can give up on it.
		f, err := os.Open(path)
		if err != nil {
			done <- result{err: err}
			return
		}
		mu.Lock()
		if abandoned {
			mu.Unlock()
			f.Close()
			return
		}
		opened = f
		mu.Unlock()
		data, err := readCapped(f, regularOnly)
		f.Close()
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-ctx.Done():
		mu.Lock()
		abandoned = true
		if opened != nil {
			opened.Close() // unblocks a read waiting on a pipe
		}
		mu.Unlock()
		return nil, ctx.Err()
	}
}

func readCapped(f *os.File, regularOnly bool) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if regularOnly && !fi.Mode().IsRegular() {
		return nil, &notRegularError{fi.Mode()} // swapped since it was checked
	}
	if fi.Mode().IsRegular() && fi.Size() > maxConfigFile {
		return nil, errTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(f, maxConfigFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfigFile {
		return nil, errTooLarge
	}
	return data, nil
}

// readErrorMsg says what went wrong reading what ("the OpenClaw config",
// `$include "x"`), without the raw error where a plainer word exists.
func readErrorMsg(what string, err error) string {
	var nr *notRegularError
	switch {
	case errors.Is(err, errTooLarge):
		return fmt.Sprintf("%s is %s: not a configuration file (check the path)", what, errTooLarge)
	case errors.As(err, &nr):
		return fmt.Sprintf("%s is %s; configuration is read only from regular files", what, nr)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("reading %s was stopped before it finished (%v)", what, err)
	}
	return fmt.Sprintf("cannot read %s: %v", what, err)
}
