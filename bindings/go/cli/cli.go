// Package cli writes objects like package objforge, without cgo: it renders the model as the
// JSON spec of `objforge build` (docs/spec.md) and runs the command. For hosts that refuse
// cgo; the bytes are the same as package objforge's (tested).
package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"example.invalid/objforge/model"
)

// Object is an object being described; fill it with the model.Object methods, then Write.
type Object struct {
	model.Object
	// Binary is the objforge command to run; "" means $OBJFORGE, else `objforge` on PATH.
	Binary string
}

// New returns an empty object for an LLVM-style target triple.
func New(triple string) *Object {
	return &Object{Object: model.Object{Triple: triple}}
}

func (o *Object) binary() (string, error) {
	if o.Binary != "" {
		return o.Binary, nil
	}
	if env := os.Getenv("OBJFORGE"); env != "" {
		return env, nil
	}
	path, err := exec.LookPath("objforge")
	if err != nil {
		return "", fmt.Errorf("objforge: the objforge command is not on PATH and $OBJFORGE is not set (cargo build -p objforge-cli builds target/debug/objforge): %w", err)
	}
	return path, nil
}

// Write runs `objforge build - -o TEMP` on the object's JSON and returns the bytes. A model
// error is a *model.Error whose message names the place, as the command printed it.
func (o *Object) Write() ([]byte, error) {
	spec, err := o.JSON()
	if err != nil {
		return nil, err
	}
	bin, err := o.binary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "objforge-cli-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "out.o")
	cmd := exec.Command(bin, "build", "-", "-o", out)
	cmd.Stdin = bytes.NewReader(spec)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 1 {
			// One line: "objforge: PATH: message" or "PATH: message".
			line := strings.TrimSpace(stderr.String())
			line = strings.TrimPrefix(line, "objforge: ")
			line = strings.TrimPrefix(line, "error: ")
			return nil, &model.Error{Code: 1, Message: line}
		}
		return nil, fmt.Errorf("objforge: running %s: %v: %s", bin, err, stderr.String())
	}
	return os.ReadFile(out)
}

// WriteFile writes the object to path.
func (o *Object) WriteFile(path string) error {
	b, err := o.Write()
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
