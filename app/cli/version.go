package cli

import (
	"context"
	"fmt"
	"runtime"
)

func printVersion(_ context.Context, env Env, args []string) error {
	flags := newFlagSet("version", "", "Prints Lore's version and the Go version it was built with.")
	if err := parse(flags, env, args); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "lore %s (%s %s/%s)\n", env.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
