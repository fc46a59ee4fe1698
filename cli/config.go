package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// config is what den login leaves for later commands.
type config struct {
	URL          string `json:"url"`
	SessionToken string `json:"session_token"`
}

const configFile = "session.json"

// dir is den's client configuration directory.
func (r *Root) dir() (string, error) {
	if r.configDir != "" {
		return r.configDir, nil
	}
	if x := r.Getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "den"), nil
	}
	home := r.Getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("find a config directory: set --config-dir or $XDG_CONFIG_HOME: %w", err)
		}
	}
	return filepath.Join(home, ".config", "den"), nil
}

func (r *Root) loadConfig() (config, error) {
	var cfg config
	dir, err := r.dir()
	if err != nil {
		return cfg, err
	}
	b, err := os.ReadFile(filepath.Join(dir, configFile))
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return cfg, fmt.Errorf("read den config: %w", err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return cfg, fmt.Errorf("read den config %s: %w (delete the file and run `den login` again)", filepath.Join(dir, configFile), err)
	}
	return cfg, nil
}

// saveConfig writes cfg readable by its owner only.
func (r *Root) saveConfig(cfg config) error {
	dir, err := r.dir()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create config directory: %w", err)
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, configFile)
	tmp, err := os.CreateTemp(dir, configFile+".*")
	if err != nil {
		return fmt.Errorf("write den config: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write den config: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write den config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write den config: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write den config: %w", err)
	}
	return nil
}

// removeConfig forgets the session.
func (r *Root) removeConfig() error {
	dir, err := r.dir()
	if err != nil {
		return err
	}
	err = os.Remove(filepath.Join(dir, configFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove den config: %w", err)
	}
	return nil
}
