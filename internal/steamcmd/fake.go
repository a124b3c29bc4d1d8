package steamcmd

import (
	"context"
	"fmt"
	"os/exec"
)

// FakePackagePath is the import path of the stand-in steamcmd.
const FakePackagePath = "github.com/left4me/left4me/cmd/fakesteamcmd"

// BuildFake compiles the stand-in steamcmd to out with the go tool on PATH,
// for tests and harnesses inside this module's tree.
func BuildFake(ctx context.Context, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=false", "-o", out, FakePackagePath)
	// The go tool inherits this process's environment (exec.Cmd's).
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", FakePackagePath, err, msg)
	}
	return nil
}
