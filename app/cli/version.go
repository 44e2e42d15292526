package cli

import (
	"context"
	"fmt"
	"runtime"
)

func printVersion(_ context.Context, env Env, args []string) error {
	flags := newFlagSet("version", "", "Prints Lore's version and the Go version it was built with.")
	rest, err := parse(flags, env, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("version takes no arguments, got %q", rest[0])
	}
	fmt.Fprintf(env.Stdout, "lore %s (%s %s/%s)\n", env.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
