package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// placeholder until the diff command lands; it refuses to run (exit 2).
func newDiffCmd(_ *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "diff",
		Short: "not available in this build",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("diff: not available in this build")
		},
	}
}
