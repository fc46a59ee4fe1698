package cli

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
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
			return r.runAgent(o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.url, "agent-url", "", "URL of the Den server")
	envFlag(fs, "agent-url", "DEN_AGENT_URL")
	fs.StringVar(&o.token, "agent-token", "", "the agent's token")
	envFlag(fs, "agent-token", "DEN_AGENT_TOKEN")
	return cmd
}

// runAgent keeps the workspace alive until it is told to stop. As the
// container's first process it also reaps orphaned children. The dial-back
// connection, startup script and SSH come with the agent proper.
func (r *Root) runAgent(o agentOptions) error {
	fmt.Fprintf(r.Stderr, "den agent: workspace up, server %s\n", o.url)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	defer signal.Stop(sigs)
	for sig := range sigs {
		if sig == syscall.SIGCHLD {
			reap()
			continue
		}
		fmt.Fprintf(r.Stderr, "den agent: %s, shutting down\n", sig)
		return nil
	}
	return nil
}

// reap collects every exited child so none stays a zombie.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
