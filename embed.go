package main

import (
	"embed"
	"io/fs"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations is the migrations folder's content, without the folder prefix.
func migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the pattern above guarantees the folder exists
	}
	return sub
}
