package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// placeholder until the check command lands; it refuses to run (exit 2).
func newCheckCmd(_ *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "not available in this build",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("check: not available in this build")
		},
	}
}
