package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"den/sdk"
)

// workspaceRef splits "NAME" or "OWNER/NAME".
func workspaceRef(ref string) (owner, name string) {
	if o, n, ok := strings.Cut(ref, "/"); ok {
		return o, n
	}
	return sdk.Me, ref
}

func (r *Root) workspace(ctx context.Context, c *sdk.Client, ref string) (sdk.Workspace, error) {
	owner, name := workspaceRef(ref)
	return c.WorkspaceByName(ctx, owner, name)
}

// clientWorkspace is the signed-in client and the workspace ref names: how
// every command about one workspace begins.
func (r *Root) clientWorkspace(ctx context.Context, ref string) (*sdk.Client, sdk.Workspace, error) {
	client, err := r.client()
	if err != nil {
		return nil, sdk.Workspace{}, err
	}
	ws, err := r.workspace(ctx, client, ref)
	return client, ws, err
}

func (r *Root) createCommand() *cobra.Command {
	var (
		template string
		params   []string
		yes      bool
	)
	cmd := &cobra.Command{
		Use:   "create NAME --template TEMPLATE [--parameter NAME=VALUE ...]",
		Short: "Create a workspace from a template and start it",
		Long: `Create a workspace from a template's active version and start it, showing the
build as it happens. On a terminal den asks for each parameter not given with
--parameter (Enter takes the default); --yes takes every default without asking.
NAME may be OWNER/NAME to create a workspace for someone else (owners only).`,
		Example: `  den create dev --template debian
  den create dev --template debian --parameter cpus=4 --yes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if template == "" {
				return fmt.Errorf("which template? pass --template NAME; `den templates list` shows them")
			}
			given, err := parseParameterFlags(params)
			if err != nil {
				return err
			}
			client, err := r.client()
			if err != nil {
				return err
			}
			version, err := client.TemplateVersion(ctx, template, 0)
			if err != nil {
				return err
			}
			values, err := r.askParameters(ctx, version.Parameters, given, yes, func(sdk.TemplateParameter) bool { return true })
			if err != nil {
				return err
			}
			owner, name := workspaceRef(args[0])
			ws, err := client.CreateWorkspace(ctx, owner, sdk.CreateWorkspaceRequest{Name: name, Template: template, Parameters: values})
			if err != nil {
				return err
			}
			fmt.Fprintf(r.Stderr, "Creating workspace %s from %s version %d.\n", ws.Name, template, version.Number)
			return r.watchBuild(ctx, client, ws, ws.LatestBuild)
		},
	}
	cmd.Flags().StringVarP(&template, "template", "t", "", "the template to create the workspace from")
	cmd.Flags().StringArrayVarP(&params, "parameter", "p", nil, "a parameter value, NAME=VALUE (repeatable)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "take the defaults without asking")
	return cmd
}

// watchBuild follows a build to its end and says where the workspace stands.
func (r *Root) watchBuild(ctx context.Context, c *sdk.Client, ws sdk.Workspace, b sdk.WorkspaceBuild) error {
	what := fmt.Sprintf("build #%d (%s) of %s", b.Number, b.Transition, ws.Name)
	start := time.Now()
	job, agent, err := followBuild(ctx, c, r.Stderr, b.Job.ID, what)
	if err != nil {
		return err
	}
	switch b.Transition {
	case sdk.TransitionStart:
		elapsed := fmt.Sprintf("%.1fs", time.Since(start).Seconds())
		switch {
		case agent == nil:
			fmt.Fprintf(r.Stdout, "Workspace %s is running (started%s).\n", ws.Name, took(job))
		case agent.Lifecycle == sdk.AgentReady:
			fmt.Fprintf(r.Stdout, "Workspace %s is ready (%s). Connect with `den ssh %s`.\n", ws.Name, elapsed, ws.Name)
		case agent.Lifecycle == sdk.AgentStartError || agent.Lifecycle == sdk.AgentStartTimeout:
			return fmt.Errorf("workspace %s runs, but its startup script %s; `den logs %s` shows its output and `den ssh %s` lets you look",
				ws.Name, map[sdk.AgentLifecycle]string{sdk.AgentStartError: "failed", sdk.AgentStartTimeout: "timed out"}[agent.Lifecycle], ws.Name, ws.Name)
		default:
			return fmt.Errorf("workspace %s runs, but its agent has not reported ready (it is %s, %s); `den show %s` shows its state",
				ws.Name, agent.Lifecycle, agent.Connection, ws.Name)
		}
	case sdk.TransitionStop:
		fmt.Fprintf(r.Stdout, "Workspace %s is stopped (%s). Start it again with `den start %s`.\n", ws.Name, took(job)[1:], ws.Name)
	case sdk.TransitionDelete:
		fmt.Fprintf(r.Stdout, "Workspace %s is deleted.\n", ws.Name)
	}
	return nil
}

func (r *Root) listCommand() *cobra.Command {
	var (
		out    outputFormat
		all    bool
		search string
	)
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List your workspaces (--all: every workspace you may see)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			client, err := r.client()
			if err != nil {
				return err
			}
			filter := sdk.WorkspaceFilter{Owner: sdk.Me, Query: search}
			if all {
				filter.Owner = ""
			}
			ws, err := client.Workspaces(cmd.Context(), filter)
			var e *sdk.Error
			if errors.As(err, &e) && len(e.Validations) == 1 && e.Validations[0].Field == "q" {
				return fmt.Errorf("--search: %s", e.Validations[0].Detail)
			}
			if err != nil {
				return err
			}
			if len(ws) == 0 && !out.json() {
				switch {
				case search != "":
					fmt.Fprintf(r.Stderr, "No workspace matches %q.\n", search)
				case all:
					fmt.Fprintln(r.Stderr, "There are no workspaces you may see.")
				default:
					fmt.Fprintln(r.Stderr, "You have no workspaces yet. Create one with `den create NAME --template TEMPLATE` (`den templates list` shows the templates).")
				}
				return nil
			}
			now := time.Now()
			rows := make([][]string, len(ws))
			for i, w := range ws {
				name := w.Name
				if all {
					name = w.OwnerName + "/" + w.Name
				}
				version := strconv.Itoa(int(w.LatestBuild.TemplateVersionNumber))
				if w.Outdated {
					version += " (outdated)"
				}
				b := w.LatestBuild
				rows[i] = []string{name, w.TemplateName, version, string(w.Status),
					fmt.Sprintf("%s #%d, %s", b.Transition, b.Number, ago(&b.CreatedAt, now))}
			}
			return out.write(r.Stdout, ws, []string{"WORKSPACE", "TEMPLATE", "VERSION", "STATUS", "LAST BUILD"}, rows)
		},
	}
	out.register(cmd)
	cmd.Flags().BoolVarP(&all, "all", "a", false, "every workspace you may see, not only yours")
	cmd.Flags().StringVarP(&search, "search", "s", "", `only the workspaces matching a search, as the dashboard's filter takes it: words, and owner:NAME, template:NAME, status:STATUS, name:TEXT (e.g. "status:running go")`)
	return cmd
}

func (r *Root) showCommand() *cobra.Command {
	var out outputFormat
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a workspace: status, parameters, and what persists",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			client, err := r.client()
			if err != nil {
				return err
			}
			ws, err := r.workspace(cmd.Context(), client, args[0])
			if err != nil {
				return err
			}
			if out.value == "json" {
				return out.write(r.Stdout, ws, nil, nil)
			}
			r.printWorkspace(ws)
			return nil
		},
	}
	out.register(cmd)
	return cmd
}

func (r *Root) printWorkspace(ws sdk.Workspace) {
	b := ws.LatestBuild
	w := r.Stdout
	fmt.Fprintf(w, "%s/%s: %s\n", ws.OwnerName, ws.Name, ws.Status)
	version := fmt.Sprintf("%s version %d", ws.TemplateName, b.TemplateVersionNumber)
	if ws.Outdated {
		version += " (outdated: `den update " + ws.Name + "` moves it to the active version)"
	}
	fmt.Fprintf(w, "  template:   %s\n", version)
	status := string(b.Job.Status)
	if b.Job.Error != "" {
		status += ": " + b.Job.Error
	}
	fmt.Fprintf(w, "  last build: #%d %s by %s, %s\n", b.Number, b.Transition, b.InitiatorName, status)
	if a := ws.Agent; a != nil {
		version := a.Version
		if version == "" {
			version = "(not connected yet)"
		}
		fmt.Fprintf(w, "  agent:      %s, %s, version %s\n", a.Lifecycle, a.Connection, version)
	}
	if len(ws.Apps) > 0 {
		fmt.Fprintln(w, "  apps:")
		for _, app := range ws.Apps {
			who := map[sdk.AppShare]string{sdk.AppShareOwner: "owner only", sdk.AppShareAuthenticated: "signed-in users", sdk.AppSharePublic: "anyone"}[app.Share]
			fmt.Fprintf(w, "    %s: %s (%s, %s)\n", app.Name, app.URL, app.Health, who)
		}
	}
	if len(b.Parameters) > 0 {
		fmt.Fprintln(w, "  parameters:")
		for _, p := range b.Parameters {
			fmt.Fprintf(w, "    %s = %s\n", p.Name, p.Value)
		}
	}
	if len(b.Resources) > 0 {
		res := append([]sdk.WorkspaceResource(nil), b.Resources...)
		sort.SliceStable(res, func(i, j int) bool { return res[i].Type < res[j].Type })
		fmt.Fprintln(w, "  resources:")
		for _, x := range res {
			keep := "removed on stop"
			if x.Persistent {
				keep = "kept on stop"
			}
			detail := ""
			if p := x.Attributes["path"]; p != "" {
				detail = " at " + p
			} else if img := x.Attributes["image"]; img != "" {
				detail = " (" + img + ")"
			}
			fmt.Fprintf(w, "    %s %s%s: %s\n", x.Type, x.Name, detail, keep)
		}
	}
}

func (r *Root) deleteCommand() *cobra.Command {
	var orphan, yes bool
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a workspace and all its data, persistent volumes included",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			client, ws, err := r.clientWorkspace(ctx, args[0])
			if err != nil {
				return err
			}
			if _, tty := r.terminal(); tty && !yes {
				answer, err := r.prompter().ask(ctx, fmt.Sprintf("Delete %s and everything in it, persistent volumes included? Type its name to confirm", ws.Name), "")
				if err != nil {
					return err
				}
				if answer != ws.Name {
					return fmt.Errorf("not deleted")
				}
			}
			b, err := client.CreateWorkspaceBuild(ctx, ws.ID, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionDelete, Orphan: orphan})
			if err != nil {
				return err
			}
			return r.watchBuild(ctx, client, ws, b)
		},
	}
	cmd.Flags().BoolVar(&orphan, "orphan", false, "forget the workspace without removing its infrastructure (when it cannot be removed)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}
