package cli

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"den/agent"
	"den/buildinfo"
	"den/sdk"
)

// agentOptions are the flags of den agent.
type agentOptions struct {
	url   string
	token string
}

func (r *Root) agentCommand() *cobra.Command {
	var o agentOptions
	cmd := &cobra.Command{
		Use:    "agent",
		Short:  "Run the workspace agent (started by the provisioner inside each workspace)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.url == "" || o.token == "" {
				return errors.New("den agent needs the server URL and its token ($DEN_AGENT_URL, $DEN_AGENT_TOKEN); the provisioner sets both")
			}
			u, err := sdk.ParseURL(o.url)
			if err != nil {
				return err
			}
			// Nothing the agent starts needs to see its secret.
			os.Unsetenv("DEN_AGENT_TOKEN")
			logger, err := r.newLogger("auto", "info")
			if err != nil {
				return err
			}
			a := agent.New(agent.Options{
				Client:  sdk.NewAgentClient(sdk.New(u), o.token),
				Version: buildinfo.Version(),
				Logger:  logger.With("subsystem", "agent"),
			})
			return a.Run(cmd.Context())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.url, "agent-url", "", "URL of the Den server")
	envFlag(fs, "agent-url", "DEN_AGENT_URL")
	fs.StringVar(&o.token, "agent-token", "", "the agent's token")
	envFlag(fs, "agent-token", "DEN_AGENT_TOKEN")
	return cmd
}
