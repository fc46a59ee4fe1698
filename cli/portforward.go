package cli

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"den/sdk"
	"den/splice"
)

func (r *Root) portForwardCommand() *cobra.Command {
	var tcp []string
	cmd := &cobra.Command{
		Use:   "port-forward NAME --tcp LOCAL:REMOTE [--tcp ...]",
		Short: "Reach ports of a workspace on this machine",
		Long: `Listen on 127.0.0.1:LOCAL here and carry each connection, through the Den
server, to REMOTE inside the workspace (a port, or host:port as the workspace
sees it). Runs until Ctrl-C.`,
		Example: `  den port-forward dev --tcp 8080:3000
  den port-forward dev --tcp 5432:db.internal:5432`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if len(tcp) == 0 {
				return fmt.Errorf("what to forward? pass --tcp LOCAL:REMOTE, such as --tcp 8080:3000")
			}
			client, ws, err := r.clientWorkspace(ctx, args[0])
			if err != nil {
				return err
			}
			if ws.Status != sdk.WorkspaceRunning {
				return fmt.Errorf("workspace %s is %s; start it with `den start %s`", ws.Name, ws.Status, ws.Name)
			}
			var listeners []net.Listener
			defer func() {
				for _, l := range listeners {
					l.Close()
				}
			}()
			for _, spec := range tcp {
				local, remote, err := parseForward(spec)
				if err != nil {
					return err
				}
				l, err := net.Listen("tcp", local)
				if err != nil {
					return fmt.Errorf("--tcp %s: %w", spec, err)
				}
				listeners = append(listeners, l)
				fmt.Fprintf(r.Stdout, "Forwarding %s to %s in %s\n", l.Addr(), remote, ws.Name)
				go r.forward(ctx, client, ws, l, remote)
			}
			<-ctx.Done()
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&tcp, "tcp", nil, "LOCAL:REMOTE, a local port and a port (or host:port) in the workspace (repeatable)")
	return cmd
}

// parseForward reads LOCAL:REMOTE: LOCAL a port (on 127.0.0.1) or
// host:port; REMOTE a port (on the workspace's 127.0.0.1) or host:port.
func parseForward(spec string) (local, remote string, err error) {
	parts := strings.Split(spec, ":")
	port := func(s string) bool { n, err := strconv.Atoi(s); return err == nil && n > 0 && n < 65536 }
	switch {
	case len(parts) == 2 && port(parts[0]) && port(parts[1]):
		return "127.0.0.1:" + parts[0], "127.0.0.1:" + parts[1], nil
	case len(parts) == 3 && port(parts[0]) && port(parts[2]):
		return "127.0.0.1:" + parts[0], net.JoinHostPort(parts[1], parts[2]), nil
	case len(parts) == 4 && port(parts[1]) && port(parts[3]):
		return net.JoinHostPort(parts[0], parts[1]), net.JoinHostPort(parts[2], parts[3]), nil
	}
	return "", "", fmt.Errorf("--tcp %q: write LOCAL:REMOTE with ports, such as 8080:3000 (or 8080:host:3000)", spec)
}

func (r *Root) forward(ctx context.Context, client *sdk.Client, ws sdk.Workspace, l net.Listener, remote string) {
	for {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			up, err := client.DialWorkspace(ctx, ws.ID, sdk.StreamHeader{Kind: sdk.StreamTCP, Addr: remote})
			if err != nil {
				fmt.Fprintf(r.Stderr, "%s: %s\n", remote, FormatError(err))
				conn.Close()
				return
			}
			splice.Conns(conn, up)
		}()
	}
}
