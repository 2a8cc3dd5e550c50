package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// placeholder until the manifest command lands; it refuses to run (exit 2).
func newManifestCmd(_ *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "manifest",
		Short: "not available in this build",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("manifest: not available in this build")
		},
	}
}
