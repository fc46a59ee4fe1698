package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/term"

	"den/sdk"
)

// ExitError carries a remote command's exit status out of den ssh; main
// exits with it and prints nothing.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// sshHostPrefix marks workspace host names in OpenSSH's configuration.
const sshHostPrefix = "den."

func (r *Root) sshCommand() *cobra.Command {
	var (
		stdio, forceTTY, noTTY, forwardAgent bool
	)
	cmd := &cobra.Command{
		Use:   "ssh NAME [-- COMMAND ...]",
		Short: "Open a shell in a workspace, or run a command there",
		Long: `Connect to a workspace over SSH, through the Den server. With no command, a
login shell on a terminal; with one, its output, and its exit status as den's.
Like OpenSSH, den ssh allocates a terminal only when stdin is one (-t forces it,
-T refuses it), so pipes work both ways:

  tar c . | den ssh dev -- tar x -C /home/dev/src

--stdio connects stdin and stdout to the workspace's SSH server, for OpenSSH's
ProxyCommand (den config-ssh writes that for you).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			client, err := r.client()
			if err != nil {
				return err
			}
			ws, err := r.workspace(ctx, client, strings.TrimPrefix(args[0], sshHostPrefix))
			if err != nil {
				return err
			}
			conn, err := client.DialWorkspace(ctx, ws.ID, sdk.StreamHeader{Kind: sdk.StreamSSH})
			if err != nil {
				return err
			}
			defer conn.Close()
			if stdio {
				return pipeStdio(ctx, conn, r.Stdin, r.Stdout)
			}
			return r.sshSession(ctx, conn, ws, strings.Join(args[1:], " "), sshChoices{forceTTY: forceTTY, noTTY: noTTY, forwardAgent: forwardAgent})
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&stdio, "stdio", false, "connect stdin and stdout to the workspace's SSH server (for ProxyCommand)")
	fs.BoolVarP(&forceTTY, "tty", "t", false, "allocate a terminal even when stdin is not one")
	fs.BoolVarP(&noTTY, "no-tty", "T", false, "never allocate a terminal")
	fs.BoolVarP(&forwardAgent, "forward-agent", "A", false, "forward your SSH agent ($SSH_AUTH_SOCK) into the session")
	return cmd
}

type sshChoices struct{ forceTTY, noTTY, forwardAgent bool }

// sshSession runs one SSH session over conn.
func (r *Root) sshSession(ctx context.Context, conn net.Conn, ws sdk.Workspace, command string, c sshChoices) error {
	hostKey := ssh.InsecureIgnoreHostKey() //nolint:gosec // replaced below when the server tells the key
	if ws.SSHHostKey != "" {
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(ws.SSHHostKey))
		if err != nil {
			return fmt.Errorf("the server sent a host key den cannot read: %w", err)
		}
		hostKey = ssh.FixedHostKey(pub)
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, sshHostPrefix+ws.Name, &ssh.ClientConfig{
		User: ws.OwnerName, HostKeyCallback: hostKey,
	})
	if err != nil {
		return fmt.Errorf("ssh to %s: %w", ws.Name, err)
	}
	client := ssh.NewClient(sc, chans, reqs)
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return fmt.Errorf("open a session in %s: %w", ws.Name, err)
	}
	defer sess.Close()
	if c.forwardAgent {
		if err := forwardSSHAgent(client, sess); err != nil {
			return err
		}
	}
	fd, stdinTTY := r.terminal()
	tty := (stdinTTY && !c.noTTY) || c.forceTTY
	if tty {
		restore, err := r.requestPTY(ctx, sess, fd, stdinTTY)
		if err != nil {
			return err
		}
		defer restore()
	}
	sess.Stdin, sess.Stdout, sess.Stderr = r.Stdin, r.Stdout, r.Stderr
	if command == "" {
		err = sess.Shell()
	} else {
		err = sess.Start(command)
	}
	if err != nil {
		return fmt.Errorf("start in %s: %w", ws.Name, err)
	}
	stop := context.AfterFunc(ctx, func() { client.Close() })
	defer stop()
	err = sess.Wait()
	var exit *ssh.ExitError
	switch {
	case errors.As(err, &exit):
		if exit.Signal() != "" {
			return &ExitError{Code: 128 + signalNumber(exit.Signal())}
		}
		return &ExitError{Code: exit.ExitStatus()}
	case errors.Is(err, io.EOF) || err == nil:
		return nil
	case ctx.Err() != nil:
		return &ExitError{Code: 130}
	}
	var missing *ssh.ExitMissingError
	if errors.As(err, &missing) {
		return fmt.Errorf("the connection to %s ended without an exit status", ws.Name)
	}
	return err
}

// requestPTY asks for a terminal the size of ours, puts ours in raw mode
// and follows its size; the returned function restores it.
func (r *Root) requestPTY(ctx context.Context, sess *ssh.Session, fd int, stdinTTY bool) (func(), error) {
	termName := r.Getenv("TERM")
	if termName == "" {
		termName = "xterm-256color"
	}
	w, h := 80, 24
	if out, ok := r.Stdout.(*os.File); ok {
		if cw, ch, err := term.GetSize(int(out.Fd())); err == nil {
			w, h = cw, ch
		}
	}
	if err := sess.RequestPty(termName, h, w, ssh.TerminalModes{ssh.ECHO: 1}); err != nil {
		return nil, fmt.Errorf("request a terminal: %w", err)
	}
	restore := func() {}
	if stdinTTY {
		state, err := term.MakeRaw(fd)
		if err != nil {
			return nil, fmt.Errorf("put the terminal in raw mode: %w", err)
		}
		restore = func() { _ = term.Restore(fd, state) }
	}
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-winch:
				if !ok {
					return
				}
				if out, ok := r.Stdout.(*os.File); ok {
					if cw, ch, err := term.GetSize(int(out.Fd())); err == nil {
						_ = sess.WindowChange(ch, cw)
					}
				}
			}
		}
	}()
	return func() {
		signal.Stop(winch)
		close(winch)
		restore()
	}, nil
}

func forwardSSHAgent(client *ssh.Client, sess *ssh.Session) error {
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return errors.New("--forward-agent: $SSH_AUTH_SOCK is not set; start ssh-agent first")
	}
	if err := agent.ForwardToRemote(client, sock); err != nil {
		return fmt.Errorf("forward the SSH agent: %w", err)
	}
	return agent.RequestAgentForwarding(sess)
}

func signalNumber(name string) int {
	switch ssh.Signal(name) {
	case ssh.SIGHUP:
		return 1
	case ssh.SIGINT:
		return 2
	case ssh.SIGQUIT:
		return 3
	case ssh.SIGKILL:
		return 9
	case ssh.SIGSEGV:
		return 11
	case ssh.SIGPIPE:
		return 13
	case ssh.SIGTERM:
		return 15
	}
	return 1
}
