package documents

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// osLimitMemory caps the address space at what the process maps now plus
// twice the limit: the watchdog acts first; this stops an allocation too
// large and too quick for it (a single huge slice), which then fails.
func osLimitMemory(limit int64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmSize:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return
			}
			max := uint64(kb<<10 + 2*limit)
			_ = syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: max, Max: max})
			return
		}
	}
}
