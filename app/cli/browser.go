package cli

import (
	"fmt"
	"os/exec"
	"runtime"
)

// desktop tells whether lore runs in a person's desktop session, where
// opening the start page in their browser helps: not under systemd (which
// sets INVOCATION_ID or JOURNAL_STREAM for its services), and on Linux and
// the BSDs only with a display (DISPLAY or WAYLAND_DISPLAY), on macOS not
// over SSH. Windows always has a desktop.
func desktop(goos string, getenv func(string) string) bool {
	if getenv("INVOCATION_ID") != "" || getenv("JOURNAL_STREAM") != "" {
		return false
	}
	switch goos {
	case "windows":
		return true
	case "darwin":
		return getenv("SSH_CONNECTION") == ""
	}
	return getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
}

// openURL opens url in the default browser. It does not wait for the
// browser: the opener's process is reaped in the background.
func openURL(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	case "darwin":
		cmd = exec.Command("open", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("open %s in a browser: %w", url, err)
	}
	go cmd.Wait()
	return nil
}
