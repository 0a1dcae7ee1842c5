package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sparselm/sparselm/data"
)

func runData(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "fetch" {
		fmt.Fprintln(env.Stderr, "Usage: sparselm data fetch [--dest DIR] [--url BASE] ptb|wikitext-2")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return errHelp
		}
		return fmt.Errorf("data: expected the subcommand fetch")
	}
	fs := newFlagSet(env, "data fetch", "data fetch [--dest DIR] [--url BASE] ptb|wikitext-2")
	dest := fs.String("dest", "", "root directory for datasets (default $SPARSELM_DATA, else ./data)")
	url := fs.String("url", "", "download from BASE/FILE instead of the default public source")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("data fetch: name one dataset (%v)", data.KnownNames())
	}
	root := *dest
	if root == "" {
		root = env.Getenv(data.EnvDataDir)
	}
	if root == "" {
		root = "data"
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("data fetch: %w", err)
	}
	name := fs.Arg(0)
	if err := data.Fetch(ctx, name, root, *url, env.Stderr); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s ready in %s\n", name, filepath.Join(root, name))
	return nil
}
