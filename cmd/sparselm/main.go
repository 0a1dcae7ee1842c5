// Command sparselm trains, prunes and measures activity- and
// connectivity-sparse recurrent language models. See the README.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sparselm/sparselm/cmd/sparselm/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cli.Run(ctx, &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr}, os.Args[1:])
	if err == nil || cli.IsHelp(err) {
		return
	}
	fmt.Fprintln(os.Stderr, "sparselm:", err)
	os.Exit(1)
}
