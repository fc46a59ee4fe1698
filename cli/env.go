package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

const envAnnotation = "den_env"

// envFlag binds flag name of fs to the environment variable env: a flag not
// given on the command line takes the variable's value.
func envFlag(fs *pflag.FlagSet, name, env string) {
	f := fs.Lookup(name)
	if f == nil {
		panic("envFlag: no flag " + name)
	}
	_ = fs.SetAnnotation(name, envAnnotation, []string{env})
	f.Usage += fmt.Sprintf(" [$%s]", env)
}

// applyEnv fills flags bound by envFlag from the environment.
func applyEnv(cmd *cobra.Command, getenv func(string) string) error {
	var err error
	visit := func(f *pflag.Flag) {
		envs := f.Annotations[envAnnotation]
		if err != nil || f.Changed || len(envs) == 0 {
			return
		}
		if v := getenv(envs[0]); v != "" {
			if serr := f.Value.Set(v); serr != nil {
				err = fmt.Errorf("$%s: %w", envs[0], serr)
				return
			}
			f.Changed = true
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	return err
}
