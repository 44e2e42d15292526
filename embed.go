package main

import (
	"embed"
	"io/fs"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

//go:embed ui/static
var staticFiles embed.FS

//go:embed ui/templates
var templateFiles embed.FS

// migrations is the migrations folder's content, without the folder prefix.
func migrations() fs.FS { return sub(migrationFiles, "migrations") }

// static is the web UI's static files, without the folder prefix.
func static() fs.FS { return sub(staticFiles, "ui/static") }

// templates is the web UI's page templates, without the folder prefix.
func templates() fs.FS { return sub(templateFiles, "ui/templates") }

func sub(fsys fs.FS, dir string) fs.FS {
	s, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // the embed patterns above guarantee the folder exists
	}
	return s
}
