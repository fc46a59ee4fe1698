package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"den/sdk"
)

func (r *Root) usersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "users",
		Aliases: []string{"user"},
		Short:   "Manage users and their roles (owners and user-admins)",
		Long: `Manage the users of the server. Owners and user-admins may create, suspend,
activate and delete users and set their roles; only owners may touch owners.

Roles: owner, template-admin, user-admin, auditor, member (everyone is a member).`,
	}
	cmd.AddCommand(
		r.usersCreateCommand(),
		r.usersListCommand(),
		r.usersShowCommand(),
		r.usersStatusCommand("suspend", sdk.UserStatusSuspended, "Suspend a user: they cannot sign in, and their sessions and tokens stop working at once"),
		r.usersStatusCommand("activate", sdk.UserStatusActive, "Activate a suspended user"),
		r.usersDeleteCommand(),
		r.usersSetRolesCommand(),
		r.usersSetPasswordCommand(),
	)
	return cmd
}

func (r *Root) usersCreateCommand() *cobra.Command {
	var (
		req   sdk.CreateUserRequest
		roles []string
	)
	cmd := &cobra.Command{
		Use:     "create USERNAME --email EMAIL --password PASSWORD [--role ROLE ...]",
		Short:   "Create a user",
		Example: `  den users create ada --email ada@example.com --password 'correct horse' --role template-admin`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := r.client()
			if err != nil {
				return err
			}
			req.Username = args[0]
			if _, tty := r.terminal(); tty {
				p := r.prompter()
				if req.Email == "" {
					if req.Email, err = p.ask(cmd.Context(), "Email", ""); err != nil {
						return err
					}
				}
				if req.Password == "" {
					if req.Password, err = newPassword(cmd.Context(), p); err != nil {
						return err
					}
				}
			}
			if err := missing("--email", req.Email, "--password", req.Password); err != nil {
				return err
			}
			for _, role := range roles {
				req.Roles = append(req.Roles, sdk.Role(role))
			}
			u, err := client.CreateUser(cmd.Context(), req)
			if err != nil {
				return err
			}
			fmt.Fprintf(r.Stdout, "Created user %s (%s) with roles: %s.\n", u.Username, u.Email, joinRoles(u.Roles))
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&req.Email, "email", "", "email address (asked for on a terminal)")
	fs.StringVar(&req.Password, "password", "", "initial password, at least 8 characters (asked for on a terminal)")
	envFlag(fs, "password", "DEN_PASSWORD")
	fs.StringSliceVar(&roles, "role", nil, "a role beyond member; repeat or separate with commas")
	return cmd
}

func (r *Root) usersListCommand() *cobra.Command {
	var out outputFormat
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List users",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			client, err := r.client()
			if err != nil {
				return err
			}
			users, err := client.Users(cmd.Context())
			if err != nil {
				return err
			}
			now := time.Now()
			rows := make([][]string, len(users))
			for i, u := range users {
				rows[i] = []string{u.Username, u.Email, joinRoles(u.Roles), string(u.Status), ago(u.LastSeenAt, now)}
			}
			return out.write(r.Stdout, users, []string{"USERNAME", "EMAIL", "ROLES", "STATUS", "LAST SEEN"}, rows)
		},
	}
	out.register(cmd)
	return cmd
}

func (r *Root) usersShowCommand() *cobra.Command {
	var out outputFormat
	cmd := &cobra.Command{
		Use:   "show USERNAME",
		Short: "Show one user ('me' for yourself)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			client, err := r.client()
			if err != nil {
				return err
			}
			u, err := client.User(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if out.value == "json" {
				return out.write(r.Stdout, u, nil, nil)
			}
			now := time.Now()
			return writeTable(r.Stdout, []string{"FIELD", "VALUE"}, [][]string{
				{"username", u.Username},
				{"email", u.Email},
				{"id", u.ID.String()},
				{"roles", joinRoles(u.Roles)},
				{"status", string(u.Status)},
				{"created", u.CreatedAt.Format(time.RFC3339)},
				{"last seen", ago(u.LastSeenAt, now)},
			})
		},
	}
	out.register(cmd)
	return cmd
}

func (r *Root) usersStatusCommand(verb string, status sdk.UserStatus, short string) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " USERNAME",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := r.client()
			if err != nil {
				return err
			}
			u, err := client.UpdateUserStatus(cmd.Context(), args[0], status)
			if err != nil {
				return err
			}
			fmt.Fprintf(r.Stdout, "User %s is now %s.\n", u.Username, u.Status)
			return nil
		},
	}
}

func (r *Root) usersDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "delete USERNAME",
		Short: "Delete a user and end their sessions and tokens",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := r.client()
			if err != nil {
				return err
			}
			if err := client.DeleteUser(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(r.Stdout, "Deleted user %s.\n", args[0])
			return nil
		},
	}
}

func (r *Root) usersSetRolesCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "set-roles USERNAME [ROLE ...]",
		Short: "Replace a user's roles (no roles: member only)",
		Example: `  den users set-roles ada template-admin auditor
  den users set-roles ada            # back to member only`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := r.client()
			if err != nil {
				return err
			}
			roles := []sdk.Role{}
			for _, a := range args[1:] {
				roles = append(roles, sdk.Role(a))
			}
			u, err := client.UpdateUserRoles(cmd.Context(), args[0], roles)
			if err != nil {
				return err
			}
			fmt.Fprintf(r.Stdout, "User %s now has roles: %s.\n", u.Username, joinRoles(u.Roles))
			return nil
		},
	}
}

func (r *Root) usersSetPasswordCommand() *cobra.Command {
	var newPW, oldPW string
	cmd := &cobra.Command{
		Use:   "set-password [USERNAME]",
		Short: "Change your password, or (owners and user-admins) set another user's",
		Long: `Change your password (no USERNAME): den asks for the current one and the new one
twice. Owners and user-admins set another user's password without the current one.
Either way the user's other sessions end; API tokens keep working.

In scripts, give --password (or $DEN_PASSWORD) and, for your own,
--old-password (or $DEN_OLD_PASSWORD).`,
		Example: `  den users set-password            # your own
  den users set-password ada        # ada's, as a user-admin`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			client, err := r.client()
			if err != nil {
				return err
			}
			me, err := client.User(ctx, sdk.Me)
			if err != nil {
				return err
			}
			user := sdk.Me
			if len(args) == 1 && !strings.EqualFold(args[0], me.Username) && args[0] != sdk.Me {
				user = args[0]
			}
			p := r.prompter()
			if user == sdk.Me && oldPW == "" {
				if oldPW, err = p.secret(ctx, "Current password"); err != nil {
					return err
				}
			}
			if newPW == "" {
				if newPW, err = newPassword(ctx, p); err != nil {
					return err
				}
			}
			req := sdk.UpdatePasswordRequest{Password: newPW}
			if user == sdk.Me {
				req.OldPassword = oldPW
			}
			if err := client.UpdatePassword(ctx, user, req); err != nil {
				return err
			}
			if user == sdk.Me {
				fmt.Fprintln(r.Stdout, "Your password is changed. Your other sessions are signed out; this one and your API tokens still work.")
			} else {
				fmt.Fprintf(r.Stdout, "The password of %s is set. Their sessions are signed out; their API tokens still work.\n", user)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&newPW, "password", "", "the new password")
	envFlag(fs, "password", "DEN_PASSWORD")
	fs.StringVar(&oldPW, "old-password", "", "your current password (for your own)")
	envFlag(fs, "old-password", "DEN_OLD_PASSWORD")
	return cmd
}
