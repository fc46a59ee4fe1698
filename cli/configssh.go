package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"den/sdk"
)

const (
	sshConfigStart = "# ------------ START DEN (written by `den config-ssh`; `den config-ssh --remove` takes it out) ------------"
	sshConfigEnd   = "# ------------ END DEN ------------"
)

func (r *Root) configSSHCommand() *cobra.Command {
	var (
		remove bool
		path   string
	)
	cmd := &cobra.Command{
		Use:   "config-ssh",
		Short: "Let OpenSSH, scp, rsync, git and IDEs reach your workspaces as den.NAME",
		Long: `Write a marked block into ~/.ssh/config so that plain OpenSSH reaches each of
your workspaces as den.NAME, through the Den server (ProxyCommand den ssh --stdio).
Then ssh den.dev, scp file den.dev:, sftp, rsync, git over SSH, VS Code Remote-SSH
and JetBrains Gateway work. Running it again rewrites the block (new workspaces
appear); --remove takes it out. Nothing else in the file is touched.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if path == "" {
				home := r.Getenv("HOME")
				if home == "" {
					var err error
					if home, err = os.UserHomeDir(); err != nil {
						return fmt.Errorf("find ~/.ssh/config: %w; pass --ssh-config", err)
					}
				}
				path = filepath.Join(home, ".ssh", "config")
			}
			old, err := os.ReadFile(path)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("read %s: %w", path, err)
			}
			rest, err := withoutBlock(string(old))
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if remove {
				if err := writeFileAtomic(path, []byte(rest)); err != nil {
					return err
				}
				fmt.Fprintf(r.Stdout, "Removed Den's block from %s.\n", path)
				return nil
			}
			client, err := r.client()
			if err != nil {
				return err
			}
			ws, err := client.Workspaces(cmd.Context(), sdk.WorkspaceFilter{Owner: sdk.Me})
			if err != nil {
				return err
			}
			block, err := r.sshConfigBlock(client.URL.String(), ws)
			if err != nil {
				return err
			}
			out := block
			if strings.TrimSpace(rest) != "" {
				out = strings.TrimRight(rest, "\n") + "\n\n" + block
			}
			if err := writeFileAtomic(path, []byte(out)); err != nil {
				return err
			}
			fmt.Fprintf(r.Stdout, "Wrote Den's block into %s for %d workspace(s). Try:\n\n", path, len(ws))
			name := "NAME"
			if len(ws) > 0 {
				name = ws[0].Name
			}
			fmt.Fprintf(r.Stdout, "  ssh %s%s\n", sshHostPrefix, name)
			return nil
		},
	}
	cmd.Flags().BoolVar(&remove, "remove", false, "take Den's block out of the SSH config")
	cmd.Flags().StringVar(&path, "ssh-config", "", "the OpenSSH config file (default ~/.ssh/config)")
	return cmd
}

// sshConfigBlock is Den's block: one host line naming every workspace (so
// IDEs list them) and den.* for workspaces made later.
func (r *Root) sshConfigBlock(url string, ws []sdk.Workspace) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the den binary: %w", err)
	}
	dir, err := r.dir()
	if err != nil {
		return "", err
	}
	dir, _ = filepath.Abs(dir)
	hosts := []string{}
	for _, w := range ws {
		hosts = append(hosts, sshHostPrefix+w.Name)
	}
	hosts = append(hosts, sshHostPrefix+"*")
	var b strings.Builder
	fmt.Fprintln(&b, sshConfigStart)
	fmt.Fprintf(&b, "# Workspaces of %s. The connection is authenticated by your Den session,\n", url)
	fmt.Fprintln(&b, "# so host keys are not checked here (den ssh checks them itself).")
	fmt.Fprintf(&b, "Host %s\n", strings.Join(hosts, " "))
	fmt.Fprintf(&b, "\tProxyCommand %s --config-dir %s ssh --stdio %%n\n", sshQuote(exe), sshQuote(dir))
	fmt.Fprintln(&b, "\tStrictHostKeyChecking no")
	fmt.Fprintln(&b, "\tUserKnownHostsFile /dev/null")
	fmt.Fprintln(&b, "\tLogLevel ERROR")
	fmt.Fprintln(&b, "\tServerAliveInterval 30")
	fmt.Fprintln(&b, sshConfigEnd)
	return b.String(), nil
}

// withoutBlock returns config without Den's block.
func withoutBlock(config string) (string, error) {
	start := strings.Index(config, sshConfigStart)
	if start < 0 {
		return config, nil
	}
	end := strings.Index(config[start:], sshConfigEnd)
	if end < 0 {
		return "", errors.New("the block den config-ssh wrote has a start marker but no end marker; fix the file by hand")
	}
	end += start + len(sshConfigEnd)
	if end < len(config) && config[end] == '\n' {
		end++
	}
	before := strings.TrimRight(config[:start], "\n")
	after := strings.TrimLeft(config[end:], "\n")
	switch {
	case before == "":
		return after, nil
	case after == "":
		return before + "\n", nil
	}
	return before + "\n\n" + after, nil
}

func sshQuote(s string) string {
	if strings.ContainsAny(s, " \t\"") {
		return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
	}
	return s
}

// writeFileAtomic replaces path, keeping it private (0600) and creating its
// directory (0700) when missing.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".den-ssh-config-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(bytes.TrimLeft(data, "\n")); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
