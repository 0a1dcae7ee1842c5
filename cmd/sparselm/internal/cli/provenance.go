package cli

import (
	"fmt"
	"time"

	"github.com/sparselm/sparselm/data"
	"github.com/sparselm/sparselm/provenance"
	"github.com/sparselm/sparselm/train"
)

// sessionProvenance is where the results of this command come from:
// sparselm's version and build, the command line and the time now, and the
// split files of the corpus in dataDir with their checksums (none when
// dataDir is ""). Files that cannot be hashed are left out with a warning:
// the command has read them already, so it goes on.
func sessionProvenance(env *Env, command string, args []string, dataDir string) *provenance.Provenance {
	p := provenance.New(Version, append([]string{"sparselm", command}, args...), time.Now())
	if dataDir == "" {
		return p
	}
	files, err := data.SplitFiles(dataDir)
	if err == nil {
		err = p.AddData(files...)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "sparselm %s: warning: the data files are not recorded: %v\n", command, err)
	}
	return p
}

// checkpointProvenance is sessionProvenance for a command that reads the
// dataset of checkpoint c, found as loadCheckpointCorpus finds it.
func checkpointProvenance(env *Env, command string, args []string, c *train.Checkpoint, dataDirFlag string) *provenance.Provenance {
	dir, err := data.Resolve(c.Options.Dataset, dataDirFlag, env.Getenv)
	if err != nil {
		dir = ""
	}
	return sessionProvenance(env, command, args, dir)
}
