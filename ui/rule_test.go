package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestHandlersReachDataThroughServices holds the package's rule: no
// non-test file but health.go names h.app.Store (see the package comment).
func TestHandlersReachDataThroughServices(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "health.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Store" {
				return true
			}
			if inner, ok := sel.X.(*ast.SelectorExpr); ok && inner.Sel.Name == "app" {
				t.Errorf("%s: a handler reads h.app.Store; go through a service of package app", fset.Position(sel.Pos()))
			}
			return true
		})
	}
	if checked < 5 {
		t.Fatalf("checked %d files; is this the ui package?", checked)
	}
}
