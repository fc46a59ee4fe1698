package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"den/buildinfo"
)

func (r *Root) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print den's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(r.Stdout, "den %s\n", buildinfo.Version())
			return nil
		},
	}
}
