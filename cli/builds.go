package cli

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"den/sdk"
)

// transitionCommand makes den start and den stop.
func (r *Root) transitionCommand(t sdk.Transition, short string) *cobra.Command {
	return &cobra.Command{
		Use:   string(t) + " NAME",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			client, ws, err := r.clientWorkspace(ctx, args[0])
			if err != nil {
				return err
			}
			return r.transition(ctx, client, ws, sdk.CreateWorkspaceBuildRequest{Transition: t})
		},
	}
}

func (r *Root) transition(ctx context.Context, c *sdk.Client, ws sdk.Workspace, req sdk.CreateWorkspaceBuildRequest) error {
	b, err := c.CreateWorkspaceBuild(ctx, ws.ID, req)
	if err != nil {
		return err
	}
	return r.watchBuild(ctx, c, ws, b)
}

func (r *Root) restartCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "restart NAME",
		Short: "Stop a workspace, then start it",
		Long: `Stop the workspace, then start it with the same template version and
parameters. The server starts it once the stop succeeds, so the restart ends
even if den is interrupted; den follows both builds.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			client, ws, err := r.clientWorkspace(ctx, args[0])
			if err != nil {
				return err
			}
			stop, err := client.CreateWorkspaceBuild(ctx, ws.ID, sdk.CreateWorkspaceBuildRequest{Transition: sdk.TransitionStop, Restart: true})
			if err != nil {
				return err
			}
			if err := r.watchBuild(ctx, client, ws, stop); err != nil {
				return err
			}
			// The server queued the start when the stop completed.
			start, err := client.WorkspaceBuild(ctx, ws.ID, stop.Number+1)
			if err != nil {
				return fmt.Errorf("the start that ends the restart: %w", err)
			}
			return r.watchBuild(ctx, client, ws, start)
		},
	}
}

func (r *Root) updateCommand() *cobra.Command {
	var (
		params []string
		yes    bool
	)
	cmd := &cobra.Command{
		Use:   "update NAME",
		Short: "Move a workspace to its template's active version, and start it",
		Long: `Start the workspace on its template's active version. Parameter values carry
over; den asks only for parameters the new version adds (or pass them with
--parameter). Mutable parameters may be changed with --parameter too.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			given, err := parseParameterFlags(params)
			if err != nil {
				return err
			}
			client, ws, err := r.clientWorkspace(ctx, args[0])
			if err != nil {
				return err
			}
			active, err := client.TemplateVersion(ctx, ws.TemplateName, 0)
			if err != nil {
				return err
			}
			if active.ID == ws.LatestBuild.TemplateVersionID && len(given) == 0 {
				fmt.Fprintf(r.Stdout, "Workspace %s is on %s version %d, the active version already.\n", ws.Name, ws.TemplateName, active.Number)
				return nil
			}
			had := map[string]bool{}
			for _, p := range ws.LatestBuild.Parameters {
				had[p.Name] = true
			}
			values, err := r.askParameters(ctx, active.Parameters, given, yes, func(p sdk.TemplateParameter) bool { return !had[p.Name] })
			if err != nil {
				return err
			}
			fmt.Fprintf(r.Stderr, "Updating %s from %s version %d to %d.\n", ws.Name, ws.TemplateName, ws.LatestBuild.TemplateVersionNumber, active.Number)
			return r.transition(ctx, client, ws, sdk.CreateWorkspaceBuildRequest{
				Transition: sdk.TransitionStart, TemplateVersionID: &active.ID, Parameters: values,
			})
		},
	}
	cmd.Flags().StringArrayVarP(&params, "parameter", "p", nil, "a parameter value, NAME=VALUE (repeatable)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "take the defaults of new parameters without asking")
	return cmd
}

func (r *Root) buildsCommand() *cobra.Command {
	var (
		out   outputFormat
		limit int
	)
	cmd := &cobra.Command{
		Use:   "builds NAME",
		Short: "List a workspace's builds, newest first (--limit: how many)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			ctx := cmd.Context()
			client, ws, err := r.clientWorkspace(ctx, args[0])
			if err != nil {
				return err
			}
			if limit < 1 || limit > sdk.MaxBuildPage {
				return fmt.Errorf("--limit must be from 1 to %d", sdk.MaxBuildPage)
			}
			bs, err := client.WorkspaceBuilds(ctx, ws.ID, 0, limit)
			if err != nil {
				return err
			}
			now := time.Now()
			rows := make([][]string, len(bs))
			for i, b := range bs {
				status := string(b.Job.Status)
				if b.Job.Error != "" {
					status += ": " + firstLine(b.Job.Error)
				}
				dur := ""
				if b.Job.CompletedAt != nil {
					dur = b.Job.CompletedAt.Sub(b.Job.CreatedAt).Round(10 * time.Millisecond).String()
				}
				rows[i] = []string{strconv.Itoa(int(b.Number)), string(b.Transition), strconv.Itoa(int(b.TemplateVersionNumber)),
					b.InitiatorName, ago(&b.CreatedAt, now), dur, status}
			}
			return out.write(r.Stdout, bs, []string{"BUILD", "TRANSITION", "VERSION", "BY", "CREATED", "TOOK", "STATUS"}, rows)
		},
	}
	out.register(cmd)
	cmd.Flags().IntVarP(&limit, "limit", "n", 20, "show this many of the newest builds")
	return cmd
}

func (r *Root) logsCommand() *cobra.Command {
	var (
		build  int32
		follow bool
	)
	cmd := &cobra.Command{
		Use:   "logs NAME [--build N]",
		Short: "Print a build's log (default: the latest build)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			client, ws, err := r.clientWorkspace(ctx, args[0])
			if err != nil {
				return err
			}
			b := ws.LatestBuild
			if build > 0 {
				if b, err = client.WorkspaceBuild(ctx, ws.ID, build); err != nil {
					return err
				}
			}
			var stage string
			var job sdk.ProvisionerJob
			err = client.JobLogs(ctx, b.Job.ID, 0, follow, func(ev sdk.JobEvent) error {
				if l := ev.Log; l != nil {
					if l.Stage != stage {
						stage = l.Stage
						fmt.Fprintf(r.Stdout, "==> %s\n", stage)
					}
					fmt.Fprintf(r.Stdout, "%s %-5s %s\n", l.CreatedAt.Local().Format("15:04:05.000"), l.Level, l.Output)
				}
				if ev.Job != nil {
					job = *ev.Job
				}
				return nil
			})
			if err != nil {
				return err
			}
			status := string(job.Status)
			if job.Error != "" {
				status += ": " + job.Error
			}
			fmt.Fprintf(r.Stdout, "Build #%d (%s): %s\n", b.Number, b.Transition, status)
			return nil
		},
	}
	cmd.Flags().Int32Var(&build, "build", 0, "the build number (default: the latest)")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing until the build is done")
	return cmd
}
