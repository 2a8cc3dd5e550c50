package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// placeholder until the phase command lands; it refuses to run (exit 2).
func newPhaseCmd(_ *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "phase",
		Short: "not available in this build",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("phase: not available in this build")
		},
	}
}
