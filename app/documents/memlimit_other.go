//go:build !linux

package documents

// osLimitMemory does nothing here: the watchdog alone keeps the limit.
func osLimitMemory(int64) {}
