package denyaml

import (
	"embed"
	"io/fs"
)

//go:embed starter
var starterFiles embed.FS

// Starter is a template to begin with, its files at the root: a commented
// den.yaml for the den-debian:bookworm image that works as is. den
// templates init writes it out.
var Starter fs.FS = mustSub(starterFiles, "starter")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}
