package cli

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"strings"

	"github.com/spf13/cobra"

	"den/sdk"
)

func (r *Root) loginCommand() *cobra.Command {
	var username, email, password string
	cmd := &cobra.Command{
		Use:   "login [URL]",
		Short: "Sign in to a Den server (on a new server: create its first user, the owner)",
		Long: `Sign in to a Den server and keep the session for later commands.

On a server with no users yet, this creates the first user, who becomes the owner.
On a terminal, den asks for what the flags do not give; in a script, pass
--username (or --email) and --password (or $DEN_PASSWORD).`,
		Example: `  den login http://127.0.0.1:3000
  den login http://127.0.0.1:3000 --username ada --email ada@example.com --password '...'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			raw := r.url
			if len(args) == 1 {
				raw = args[0]
			}
			if raw == "" {
				cfg, err := r.loadConfig()
				if err != nil {
					return err
				}
				raw = cfg.URL
			}
			if raw == "" {
				return errors.New("which server? run `den login URL`, for example `den login http://127.0.0.1:3000`")
			}
			u, err := sdk.ParseURL(raw)
			if err != nil {
				return err
			}
			client := sdk.New(u)
			setup, err := client.Setup(ctx)
			if err != nil {
				return fmt.Errorf("reach the Den server at %s: %w", u, err)
			}
			_, tty := r.terminal()
			p := r.prompter()
			var resp sdk.LoginResponse
			if setup.FirstUserRequired {
				fmt.Fprintf(r.Stderr, "%s has no users yet: creating the first user, who will be its owner.\n", u)
				if username == "" && tty {
					def := ""
					if me, err := user.Current(); err == nil {
						def = me.Username
					}
					if username, err = p.ask(ctx, "Username", def); err != nil {
						return err
					}
				}
				if email == "" && tty {
					if email, err = p.ask(ctx, "Email", ""); err != nil {
						return err
					}
				}
				if password == "" && tty {
					if password, err = newPassword(ctx, p); err != nil {
						return err
					}
				}
				if err := missing("--username", username, "--email", email, "--password", password); err != nil {
					return err
				}
				resp, err = client.CreateFirstUser(ctx, sdk.CreateFirstUserRequest{Username: username, Email: email, Password: password})
				if err != nil {
					return err
				}
			} else {
				login := username
				if login == "" {
					login = email
				}
				if login == "" && tty {
					if login, err = p.ask(ctx, "Username or email", ""); err != nil {
						return err
					}
				}
				if password == "" && tty {
					if password, err = p.secret(ctx, "Password"); err != nil {
						return err
					}
				}
				if err := missing("--username", login, "--password", password); err != nil {
					return err
				}
				resp, err = client.Login(ctx, sdk.LoginRequest{Login: login, Password: password})
				if err != nil {
					return err
				}
			}
			if err := r.saveConfig(config{URL: u.String(), SessionToken: resp.SessionToken}); err != nil {
				return err
			}
			if setup.FirstUserRequired {
				fmt.Fprintf(r.Stdout, "Welcome to Den, %s! You are the owner of %s.\n", resp.User.Username, u)
				fmt.Fprintf(r.Stdout, "Next: add people with `den users create`.\n")
			} else {
				fmt.Fprintf(r.Stdout, "Logged in to %s as %s.\n", u, resp.User.Username)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&username, "username", "", "username (or, when signing in, an email address)")
	fs.StringVar(&email, "email", "", "email address")
	fs.StringVar(&password, "password", "", "password")
	envFlag(fs, "password", "DEN_PASSWORD")
	return cmd
}

// newPassword asks for a new password twice.
func newPassword(ctx context.Context, p *prompter) (string, error) {
	for {
		pw, err := p.secret(ctx, "Password (at least 8 characters)")
		if err != nil {
			return "", err
		}
		if len(pw) < 8 {
			fmt.Fprintln(p.r.Stderr, "That is too short; use at least 8 characters.")
			continue
		}
		again, err := p.secret(ctx, "Password again")
		if err != nil {
			return "", err
		}
		if pw == again {
			return pw, nil
		}
		fmt.Fprintln(p.r.Stderr, "The passwords differ; try again.")
	}
}

// missing names the flags, given as (flag, value) pairs, that have no value.
func missing(pairs ...string) error {
	var names []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			names = append(names, pairs[i])
		}
	}
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("missing %s: stdin is not a terminal, so den cannot ask; pass them as flags", strings.Join(names, ", "))
}

func (r *Root) logoutCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "End the session on the server and forget it here",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := r.client()
			if errors.Is(err, errNotLoggedIn) {
				fmt.Fprintln(r.Stdout, "You are not logged in.")
				return nil
			}
			if err != nil {
				return err
			}
			cfg, err := r.loadConfig()
			if err != nil {
				return err
			}
			if r.sessionToken != "" && r.sessionToken != cfg.SessionToken {
				return errors.New("the session token comes from --session-token or $DEN_SESSION_TOKEN; den logout only ends the session `den login` saved")
			}
			// A session the server already forgot is no reason to keep it here.
			if err := client.Logout(cmd.Context()); err != nil && sdk.StatusCode(err) != 401 {
				return err
			}
			if err := r.removeConfig(); err != nil {
				return err
			}
			fmt.Fprintf(r.Stdout, "Logged out of %s.\n", client.URL)
			return nil
		},
	}
}

func (r *Root) whoamiCommand() *cobra.Command {
	var out outputFormat
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show who you are signed in as, and where",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			client, err := r.client()
			if err != nil {
				return err
			}
			me, err := client.User(cmd.Context(), sdk.Me)
			if err != nil {
				return err
			}
			if out.value == "json" {
				return out.write(r.Stdout, me, nil, nil)
			}
			fmt.Fprintf(r.Stdout, "%s (%s) on %s, roles: %s\n", me.Username, me.Email, client.URL, joinRoles(me.Roles))
			return nil
		},
	}
	out.register(cmd)
	return cmd
}

func joinRoles(rs []sdk.Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}
