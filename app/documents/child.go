package documents

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"time"
)

// ChildCommand is the hidden subcommand that runs a PDF extraction in its
// own process: `lore extract-pdf --max-pages N --memory-limit BYTES`,
// the PDF on stdin, its text as JSON on stdout.
const ChildCommand = "extract-pdf"

// exitMemory is the child's exit status when it passed its memory limit.
const exitMemory = 3

// PDFLimits bound one PDF extraction.
type PDFLimits struct {
	// Timeout is how long the child may run; default 2 minutes.
	Timeout time.Duration
	// MaxPages refuses longer PDFs; default 2,000.
	MaxPages int
	// MemoryLimit is the child's memory, in bytes; default 512 MiB.
	MemoryLimit int64
}

func (l PDFLimits) withDefaults() PDFLimits {
	if l.Timeout <= 0 {
		l.Timeout = 2 * time.Minute
	}
	if l.MaxPages <= 0 {
		l.MaxPages = 2000
	}
	if l.MemoryLimit <= 0 {
		l.MemoryLimit = 512 << 20
	}
	return l
}

// Child is how the child process is started: a program, the arguments
// before the limits, and environment variables added to this process's.
// The zero value re-executes this binary with ChildCommand; tests name
// their own test binary.
type Child struct {
	Path string
	Args []string
	Env  []string
}

// pdfReader runs PDF extractions in child processes.
type pdfReader struct {
	child  Child
	limits PDFLimits
	logger *slog.Logger
}

// maxChildOutput bounds what is read from a child's stdout: text of the
// most pages allowed, with room to spare.
const maxChildOutput = 256 << 20

// extract runs one child on data. A child that overruns its deadline or
// memory, crashes or writes nonsense makes a refusal naming what happened;
// its stderr goes to the log only.
func (p pdfReader) extract(ctx context.Context, data []byte, filename string) (Extracted, error) {
	path := p.child.Path
	args := p.child.Args
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return Extracted{}, fmt.Errorf("documents: find this program to run the PDF reader: %w", err)
		}
		path, args = exe, []string{ChildCommand}
	}
	ctx, cancel := context.WithTimeout(ctx, p.limits.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, append(slices.Clone(args), "--max-pages", strconv.Itoa(p.limits.MaxPages),
		"--memory-limit", strconv.FormatInt(p.limits.MemoryLimit, 10))...)
	cmd.Env = append(os.Environ(), p.child.Env...)
	cmd.Stdin = bytes.NewReader(data)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &limitedWriter{w: &stdout, n: maxChildOutput}
	cmd.Stderr = &limitedWriter{w: &stderr, n: 64 << 10}
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil && errors.Is(context.Cause(ctx), context.DeadlineExceeded):
		return Extracted{}, refuse("pdf_timeout", "reading this PDF took longer than %s and was stopped", p.limits.Timeout)
	case ctx.Err() != nil:
		return Extracted{}, ctx.Err()
	case errors.As(err, &exit) && (exit.ExitCode() == exitMemory || bytes.Contains(stderr.Bytes(), []byte("out of memory"))):
		return Extracted{}, refuse("pdf_too_large", "reading this PDF needed more than %d MiB and was stopped", p.limits.MemoryLimit>>20)
	case errors.As(err, &exit):
		p.logger.Warn("the PDF reader failed", "file", filename, "exit", exit.ExitCode(), "stderr", tail(stderr.String(), 2000))
		return Extracted{}, refuse("corrupt_pdf", "this PDF could not be read: the PDF reader failed on it (a malformed PDF?)")
	default:
		return Extracted{}, fmt.Errorf("documents: run the PDF reader: %w", err)
	}
	var res pdfResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		p.logger.Warn("the PDF reader answered nonsense", "file", filename, slog.Any("error", err), "stderr", tail(stderr.String(), 2000))
		return Extracted{}, refuse("corrupt_pdf", "this PDF could not be read: the PDF reader gave no usable answer")
	}
	if res.Refused != nil {
		return Extracted{}, res.Refused
	}
	return pdfExtracted(res, filename), nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// limitedWriter keeps at most n bytes and fails past them, which ends a
// child that writes without end.
type limitedWriter struct {
	w io.Writer
	n int64
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		return 0, errors.New("documents: the PDF reader wrote too much")
	}
	l.n -= int64(len(p))
	return l.w.Write(p)
}

// ServeChild is the child process's side: it reads a PDF from stdin,
// extracts it within the limits and writes the result as JSON to stdout.
// The memory limit is kept by a watchdog that ends the process (exit
// status 3) when the Go runtime holds more, and, on Linux, by an address
// space limit; the deadline is the parent's, which kills the process.
func ServeChild(stdin io.Reader, stdout io.Writer, maxPages int, memoryLimit int64) error {
	if maxPages <= 0 || memoryLimit <= 0 {
		return errors.New("documents: the PDF reader needs --max-pages and --memory-limit")
	}
	limitMemory(memoryLimit)
	data, err := io.ReadAll(stdin)
	if err != nil {
		return fmt.Errorf("documents: read the PDF: %w", err)
	}
	res, err := readPDF(data, maxPages)
	var refused *RefusedError
	switch {
	case errors.As(err, &refused):
		res = pdfResult{Refused: refused}
	case err != nil:
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}

// limitMemory bounds the child's memory: the runtime collects harder as it
// nears the limit, a watchdog exits past it, and the OS refuses memory far
// past it (Linux).
func limitMemory(limit int64) {
	debug.SetMemoryLimit(limit * 3 / 4)
	osLimitMemory(limit)
	go func() {
		samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
		for {
			metrics.Read(samples)
			used := int64(samples[0].Value.Uint64()) - int64(samples[1].Value.Uint64())
			if used > limit {
				fmt.Fprintf(os.Stderr, "lore extract-pdf: memory limit of %d bytes passed (%d)\n", limit, used)
				os.Exit(exitMemory)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
}
