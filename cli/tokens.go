package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"den/sdk"
)

func (r *Root) tokensCommand() *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:     "tokens",
		Aliases: []string{"token"},
		Short:   "Manage API tokens for scripts and CI",
		Long: `API tokens authenticate scripts: set DEN_URL and DEN_SESSION_TOKEN and every
den command works without 'den login'. A token's secret is shown once, when it is made.`,
	}
	cmd.PersistentFlags().StringVar(&user, "user", sdk.Me, "whose tokens (user-admins may list and remove other users' tokens)")
	cmd.AddCommand(r.tokensCreateCommand(&user), r.tokensListCommand(&user), r.tokensRemoveCommand(&user))
	return cmd
}

func (r *Root) tokensCreateCommand(user *string) *cobra.Command {
	var (
		name     string
		lifetime time.Duration
	)
	cmd := &cobra.Command{
		Use:     "create [--name NAME] [--lifetime 720h]",
		Short:   "Create an API token and print its secret",
		Example: `  export DEN_SESSION_TOKEN=$(den tokens create --name ci --lifetime 2160h)`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lifetime < 0 {
				return fmt.Errorf("--lifetime must not be negative")
			}
			if lifetime%time.Second != 0 {
				return fmt.Errorf("--lifetime must be whole seconds, such as 720h or 90m")
			}
			client, err := r.client()
			if err != nil {
				return err
			}
			resp, err := client.CreateToken(cmd.Context(), *user, sdk.CreateTokenRequest{Name: name, LifetimeSeconds: int64(lifetime / time.Second)})
			if err != nil {
				return err
			}
			fmt.Fprintf(r.Stderr, "Created token %q, expiring %s. It is shown only this once:\n", resp.Token.Name, resp.Token.ExpiresAt.Format(time.RFC3339))
			fmt.Fprintln(r.Stdout, resp.Key)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "a name to find the token by later (default: generated)")
	cmd.Flags().DurationVar(&lifetime, "lifetime", 0, "how long the token works, such as 720h (default: the server's, 30 days)")
	return cmd
}

func (r *Root) tokensListCommand(user *string) *cobra.Command {
	var out outputFormat
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List API tokens (never their secrets)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			client, err := r.client()
			if err != nil {
				return err
			}
			tokens, err := client.Tokens(cmd.Context(), *user)
			if err != nil {
				return err
			}
			now := time.Now()
			rows := make([][]string, len(tokens))
			for i, t := range tokens {
				last := t.LastUsedAt
				rows[i] = []string{t.Name, t.ID, t.CreatedAt.Format("2006-01-02"), in(t.ExpiresAt, now), ago(&last, now)}
			}
			return out.write(r.Stdout, tokens, []string{"NAME", "ID", "CREATED", "EXPIRES", "LAST USED"}, rows)
		},
	}
	out.register(cmd)
	return cmd
}

func (r *Root) tokensRemoveCommand(user *string) *cobra.Command {
	return &cobra.Command{
		Use:     "remove NAME|ID",
		Aliases: []string{"rm", "delete"},
		Short:   "Remove an API token; it stops working at once",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := r.client()
			if err != nil {
				return err
			}
			if err := client.DeleteToken(cmd.Context(), *user, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(r.Stdout, "Removed token %s.\n", args[0])
			return nil
		},
	}
}
