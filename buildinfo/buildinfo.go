// Package buildinfo tells which build of den is running.
package buildinfo

import "runtime/debug"

// version is set at link time: -ldflags "-X den/buildinfo.version=v0.1.0".
var version string

// Version returns the release version, or a development version naming the
// VCS revision when the binary was built from a checkout.
func Version() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "dev-" + rev
}
