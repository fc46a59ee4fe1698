package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"den/provisioner/denyaml"
	"den/sdk"
	"den/tarfs"
)

func (r *Root) templatesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "templates",
		Aliases: []string{"template"},
		Short:   "Write, push and manage templates (what workspaces are made from)",
		Long: `A template is a directory with a den.yaml (and any files it needs, such as a
Dockerfile). Each push makes a new version; a version that imports cleanly becomes
active, and new workspaces use it. See docs/templates.md for the den.yaml format.`,
	}
	cmd.AddCommand(r.templatesInitCommand(), r.templatesPushCommand(), r.templatesListCommand(),
		r.templatesVersionsCommand(), r.templatesPullCommand(), r.templatesDeleteCommand())
	return cmd
}

func (r *Root) templatesInitCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "init DIR",
		Short: "Write a commented starter template into DIR",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if _, err := os.Stat(filepath.Join(dir, denyaml.FileName)); err == nil {
				return fmt.Errorf("%s already has a %s; choose another directory", dir, denyaml.FileName)
			}
			err := fs.WalkDir(denyaml.Starter, ".", func(name string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				target := filepath.Join(dir, filepath.FromSlash(name))
				if d.IsDir() {
					return os.MkdirAll(target, 0o755)
				}
				body, err := fs.ReadFile(denyaml.Starter, name)
				if err != nil {
					return err
				}
				return os.WriteFile(target, body, 0o644)
			})
			if err != nil {
				return fmt.Errorf("write the starter template: %w", err)
			}
			fmt.Fprintf(r.Stdout, "Wrote a starter template into %s. Read %s, then push it:\n\n  den templates push NAME -d %s\n",
				dir, filepath.Join(dir, denyaml.FileName), dir)
			return nil
		},
	}
}

func (r *Root) templatesPushCommand() *cobra.Command {
	var (
		dir, message string
		activate     bool
	)
	cmd := &cobra.Command{
		Use:   "push NAME [-d DIR] [-m MESSAGE]",
		Short: "Upload a template directory as a new version and import it",
		Example: `  den templates push debian -d ./debian -m "add nodejs"
  den templates push debian --activate=false   # import, but keep the current version active`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name := args[0]
			if _, err := os.Stat(filepath.Join(dir, denyaml.FileName)); errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%s has no %s; `den templates init %s` writes a starter", dir, denyaml.FileName, dir)
			}
			client, err := r.client()
			if err != nil {
				return err
			}
			archive, err := tarfs.Create(dir, tarfs.Limits{})
			if err != nil {
				return err
			}
			up, err := client.Upload(ctx, archive)
			if err != nil {
				return err
			}
			v, err := client.CreateTemplateVersion(ctx, name, sdk.CreateTemplateVersionRequest{FileHash: up.Hash, Message: message, Activate: &activate})
			if err != nil {
				return err
			}
			fmt.Fprintf(r.Stderr, "Uploaded %s (%s) as %s version %d; importing it.\n", dir, humanSize(len(archive)), name, v.Number)
			job, err := followJob(ctx, client, r.Stderr, v.Job.ID, "the import of "+name+" version "+strconv.Itoa(int(v.Number)))
			if err != nil {
				return err
			}
			if activate {
				fmt.Fprintf(r.Stdout, "Template %s version %d is active (imported%s). Create a workspace from it:\n\n  den create NAME --template %s\n", name, v.Number, took(job), name)
			} else {
				fmt.Fprintf(r.Stdout, "Template %s version %d imported%s; the active version is unchanged.\n", name, v.Number, took(job))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&dir, "directory", "d", ".", "the template directory")
	cmd.Flags().StringVarP(&message, "message", "m", "", "what changed in this version")
	cmd.Flags().BoolVar(&activate, "activate", true, "make the version active once it imports")
	return cmd
}

func (r *Root) templatesListCommand() *cobra.Command {
	var out outputFormat
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List templates",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			client, err := r.client()
			if err != nil {
				return err
			}
			ts, err := client.Templates(cmd.Context())
			if err != nil {
				return err
			}
			rows := make([][]string, len(ts))
			for i, t := range ts {
				active := "none yet"
				if t.ActiveVersion > 0 {
					active = strconv.Itoa(int(t.ActiveVersion))
				}
				rows[i] = []string{t.Name, active, strconv.FormatInt(t.WorkspaceCount, 10), t.Description}
			}
			return out.write(r.Stdout, ts, []string{"NAME", "ACTIVE VERSION", "WORKSPACES", "DESCRIPTION"}, rows)
		},
	}
	out.register(cmd)
	return cmd
}

func (r *Root) templatesVersionsCommand() *cobra.Command {
	var out outputFormat
	cmd := &cobra.Command{
		Use:   "versions NAME",
		Short: "List a template's versions, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			client, err := r.client()
			if err != nil {
				return err
			}
			vs, err := client.TemplateVersions(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			now := time.Now()
			rows := make([][]string, len(vs))
			for i, v := range vs {
				status := string(v.Job.Status)
				if v.Active {
					status = "active"
				}
				if v.Job.Error != "" {
					status += ": " + firstLine(v.Job.Error)
				}
				rows[i] = []string{strconv.Itoa(int(v.Number)), status, v.CreatedBy, ago(&v.CreatedAt, now), v.Message}
			}
			return out.write(r.Stdout, vs, []string{"VERSION", "STATUS", "PUSHED BY", "PUSHED", "MESSAGE"}, rows)
		},
	}
	out.register(cmd)
	return cmd
}

func (r *Root) templatesPullCommand() *cobra.Command {
	var version int32
	cmd := &cobra.Command{
		Use:   "pull NAME DIR [--version N]",
		Short: "Download a template version's files into a new directory",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := r.client()
			if err != nil {
				return err
			}
			v, err := client.TemplateVersion(cmd.Context(), args[0], version)
			if err != nil {
				return err
			}
			archive, err := client.Download(cmd.Context(), v.FileHash)
			if err != nil {
				return err
			}
			if err := tarfs.Extract(archive, args[1], tarfs.Limits{}); err != nil {
				return err
			}
			fmt.Fprintf(r.Stdout, "Wrote %s version %d into %s.\n", args[0], v.Number, args[1])
			return nil
		},
	}
	cmd.Flags().Int32Var(&version, "version", 0, "the version number (default: the active one)")
	return cmd
}

func (r *Root) templatesDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a template no workspace uses",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := r.client()
			if err != nil {
				return err
			}
			if err := client.DeleteTemplate(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(r.Stdout, "Deleted template %s.\n", args[0])
			return nil
		},
	}
}

func humanSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i] + " …"
		}
	}
	return s
}
