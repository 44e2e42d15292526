package lockfile

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAcquireTwiceIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lore.lock")
	first, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(path)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Acquire: got %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("error %q does not name the holder's pid", err)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	again.Release()
}

// TestLockHeldByAnotherProcess checks the lock works across processes, which
// is what it is for: the helper process holds it while this one tries.
func TestLockHeldByAnotherProcess(t *testing.T) {
	if path := os.Getenv("LOCKFILE_HELPER_PATH"); path != "" {
		l, err := Acquire(path)
		if err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("held\n")
		buf := make([]byte, 1)
		os.Stdin.Read(buf) // hold until the parent closes our stdin
		l.Release()
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "lore.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHeldByAnotherProcess$")
	cmd.Env = append(os.Environ(), "LOCKFILE_HELPER_PATH="+path)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := stdout.Read(buf); err != nil || string(buf) != "held\n" {
		t.Fatalf("helper did not take the lock: %q %v", buf, err)
	}
	_, err := Acquire(path)
	if !errors.Is(err, ErrLocked) {
		t.Errorf("Acquire while another process holds it: got %v, want ErrLocked", err)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	l, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire after the other process exited: %v", err)
	}
	l.Release()
}

func TestWaitTakesTheLockOnceReleased(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lore.lock")
	first, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Wait(ctx, path); !errors.Is(err, ErrLocked) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait on a held lock until the deadline: %v", err)
	}
	got := make(chan error, 1)
	go func() {
		l, err := Wait(context.Background(), path)
		if err == nil {
			err = l.Release()
		}
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-got:
		t.Fatalf("Wait returned (%v) while the lock was held", err)
	default:
	}
	first.Release()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not take the released lock within 5 s")
	}
}
