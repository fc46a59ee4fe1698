// Command tsgen writes the dashboard's TypeScript types
// (web/src/api/types.gen.ts) from the Go wire types in package sdk, so the
// API's types are written once. Run it from the module root:
//
//	go run ./tools/tsgen
//
// Structs become interfaces (fields by their json tags; omitempty and
// pointers make a field optional), named string types become unions of
// their constants, and doc comments come along. Only the types listed in
// roots, and the sdk types they reference, are written.
package main

import (
	"flag"
	"fmt"
	"os"
	"reflect"

	"den/sdk"
)

// roots are the types the dashboard uses; the sdk types they reference are
// written too. Add a type here when a page needs it.
var roots = []reflect.Type{
	typeOf[sdk.BuildInfo](),
	typeOf[sdk.Error](),
	typeOf[sdk.SetupStatus](),
	typeOf[sdk.CreateFirstUserRequest](),
	typeOf[sdk.LoginRequest](),
	typeOf[sdk.LoginResponse](),
	typeOf[sdk.User](),
	typeOf[sdk.CreateUserRequest](),
	typeOf[sdk.UpdateUserStatusRequest](),
	typeOf[sdk.UpdateUserRolesRequest](),
	typeOf[sdk.UpdatePasswordRequest](),
	typeOf[sdk.Token](),
	typeOf[sdk.CreateTokenRequest](),
	typeOf[sdk.CreateTokenResponse](),
	typeOf[sdk.Template](),
	typeOf[sdk.TemplateVersion](),
	typeOf[sdk.Workspace](),
	typeOf[sdk.WorkspacePage](),
	typeOf[sdk.WorkspaceBuild](),
	typeOf[sdk.CreateWorkspaceRequest](),
	typeOf[sdk.CreateWorkspaceBuildRequest](),
	typeOf[sdk.ProvisionerJob](),
	typeOf[sdk.JobEvent](),
	typeOf[sdk.PTYMessage](),
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

func main() {
	out := flag.String("o", "web/src/api/types.gen.ts", "the file to write")
	sdkDir := flag.String("sdk", "sdk", "the directory of package sdk's source, for constants and comments")
	flag.Parse()
	if err := run(*sdkDir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "tsgen:", err)
		os.Exit(1)
	}
}

func run(sdkDir, out string) error {
	b, err := Generate(sdkDir, roots)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return fmt.Errorf("write %s (run from the module root): %w", out, err)
	}
	return nil
}
