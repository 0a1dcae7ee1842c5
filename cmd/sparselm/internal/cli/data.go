package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sparselm/sparselm/data"
)

// dataFlagHelp is the help of every command's --data flag: where a dataset
// given by name is looked up (data.Resolve).
const dataFlagHelp = "directory of datasets: a dataset NAME is DIR itself or DIR/NAME (an error if neither holds it); " +
	"without --data, $SPARSELM_DATA/NAME, then the user data directory ($XDG_DATA_HOME/sparselm/NAME, by default ~/.local/share/sparselm/NAME)"

func runData(ctx context.Context, env *Env, args []string) error {
	const synopsis = "data fetch ptb|wikitext-2 [--dest DIR] [--url BASE]"
	if len(args) == 0 || args[0] != "fetch" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(env.Stdout, "Usage: sparselm "+synopsis)
			return errHelp
		}
		fmt.Fprintln(env.Stderr, "Usage: sparselm "+synopsis)
		return fmt.Errorf("data: expected the subcommand fetch")
	}
	fs := newFlagSet(env, "data fetch", synopsis)
	dest := fs.String("dest", "", "root `directory` for datasets (default: $SPARSELM_DATA, else the user data directory "+
		"$XDG_DATA_HOME/sparselm, by default ~/.local/share/sparselm, where --data lookup finds them)")
	url := fs.String("url", "", "download from `BASE`/FILE (BASE/train.txt, ...) instead of the default public source")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch known := strings.Join(data.KnownNames(), ", "); {
	case fs.NArg() == 0:
		return fmt.Errorf("data fetch: name the dataset to fetch (known: %s)", known)
	case fs.NArg() > 1:
		return fmt.Errorf("data fetch: name one dataset, not %d (%s; known: %s)", fs.NArg(), strings.Join(fs.Args(), " "), known)
	}
	name := fs.Arg(0)
	if _, ok := data.Known(name); !ok {
		return fmt.Errorf("data fetch: unknown dataset %q (known: %s)", name, strings.Join(data.KnownNames(), ", "))
	}
	root := *dest
	if root == "" {
		var err error
		if root, err = data.DefaultDir(env.Getenv); err != nil {
			return fmt.Errorf("data fetch: %w; pass --dest DIR", err)
		}
	}
	err := data.Fetch(ctx, name, root, *url, env.Stderr)
	var de *data.DownloadError
	if errors.As(err, &de) && ctx.Err() == nil {
		return fmt.Errorf("%w\nIf there is no network here, use a copy of %s from elsewhere: put its train.txt, valid.txt and test.txt "+
			"in a directory DIR/%s and pass --data DIR to train, eval, stats and prune, or export %s=DIR; "+
			"or fetch from a mirror or a local server with `sparselm data fetch --url BASE %s` (BASE/train.txt, ...)",
			err, name, name, data.EnvDataDir, name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s ready in %s\n", name, filepath.Join(root, name))
	return nil
}
