// Package cli is the den command line: one file per command, with the global
// options owned by Root.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"den/sdk"
)

// Root owns the global options and the process's standard streams, so a test
// can run any command in-process.
type Root struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment; tests pass their own.
	Getenv func(string) string

	url          string
	sessionToken string
	configDir    string
}

// Run runs den with args on the process's own streams and environment.
func Run(ctx context.Context, args []string) error {
	r := &Root{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	return r.Run(ctx, args)
}

// Run runs den with args.
func (r *Root) Run(ctx context.Context, args []string) error {
	cmd := r.Command()
	cmd.SetArgs(args)
	cmd.SetIn(r.Stdin)
	cmd.SetOut(r.Stdout)
	cmd.SetErr(r.Stderr)
	return cmd.ExecuteContext(ctx)
}

// Command builds the command tree.
func (r *Root) Command() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "den",
		Short: "Den: cloud development environments on your own servers",
		Long: `Den runs development workspaces from templates on your own infrastructure.

Start a server with 'den server', then sign in with 'den login URL'.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return applyEnv(cmd, r.Getenv)
		},
	}
	fs := cmd.PersistentFlags()
	fs.StringVar(&r.url, "url", "", "URL of the Den server (default: the one you logged in to)")
	envFlag(fs, "url", "DEN_URL")
	fs.StringVar(&r.sessionToken, "session-token", "", "session or API token to authenticate with (default: the one from den login)")
	envFlag(fs, "session-token", "DEN_SESSION_TOKEN")
	fs.StringVar(&r.configDir, "config-dir", "", "directory for den's client configuration (default: $XDG_CONFIG_HOME/den or ~/.config/den)")
	envFlag(fs, "config-dir", "DEN_CONFIG_DIR")

	cmd.AddCommand(
		r.serverCommand(),
		r.loginCommand(),
		r.logoutCommand(),
		r.whoamiCommand(),
		r.usersCommand(),
		r.tokensCommand(),
		r.templatesCommand(),
		r.createCommand(),
		r.listCommand(),
		r.showCommand(),
		r.transitionCommand(sdk.TransitionStart, "Start a stopped workspace"),
		r.transitionCommand(sdk.TransitionStop, "Stop a workspace: its compute goes away, its persistent volumes stay"),
		r.restartCommand(),
		r.updateCommand(),
		r.deleteCommand(),
		r.buildsCommand(),
		r.logsCommand(),
		r.sshCommand(),
		r.configSSHCommand(),
		r.portForwardCommand(),
		r.pingCommand(),
		r.speedtestCommand(),
		r.versionCommand(),
		r.agentCommand(),
	)
	return cmd
}

// errNotLoggedIn tells a person what to do when no session is at hand.
var errNotLoggedIn = errors.New("you are not logged in: run `den login URL` (or set DEN_URL and DEN_SESSION_TOKEN)")

// client returns an SDK client for the server and session the options,
// environment or config name.
func (r *Root) client() (*sdk.Client, error) {
	cfg, err := r.loadConfig()
	if err != nil {
		return nil, err
	}
	raw := r.url
	if raw == "" {
		raw = cfg.URL
	}
	if raw == "" {
		return nil, errNotLoggedIn
	}
	u, err := sdk.ParseURL(raw)
	if err != nil {
		return nil, err
	}
	token := r.sessionToken
	if token == "" && (r.url == "" || sameServer(u, cfg.URL)) {
		token = cfg.SessionToken
	}
	if token == "" {
		return nil, errNotLoggedIn
	}
	c := sdk.New(u)
	c.SessionToken = token
	return c, nil
}

func sameServer(u *url.URL, raw string) bool {
	v, err := sdk.ParseURL(raw)
	return err == nil && v.String() == u.String()
}

// FormatError renders an error for a person at a terminal.
func FormatError(err error) string {
	var apiErr *sdk.Error
	if errors.As(err, &apiErr) {
		var b strings.Builder
		b.WriteString("error: ")
		b.WriteString(apiErr.Message)
		if apiErr.Detail != "" {
			b.WriteString("\n  ")
			b.WriteString(apiErr.Detail)
		}
		for _, v := range apiErr.Validations {
			if len(apiErr.Validations) == 1 && strings.Contains(apiErr.Message, v.Detail) {
				break // the message already says it
			}
			fmt.Fprintf(&b, "\n  %s: %s", v.Field, v.Detail)
		}
		if apiErr.StatusCode == 401 && !strings.Contains(apiErr.Message+apiErr.Detail, "den login") && !strings.Contains(apiErr.Message, "incorrect") {
			b.WriteString("\n  sign in again with `den login`")
		}
		return b.String()
	}
	msg := "error: " + err.Error()
	if errors.Is(err, syscall.ECONNREFUSED) {
		msg += "\n  is the Den server running? start it with `den server` (or `make run`)"
	}
	return msg
}
