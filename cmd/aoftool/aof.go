package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// placeholder until the aof command lands; it refuses to run (exit 2).
func newAOFCmd(_ *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "aof",
		Short: "not available in this build",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("aof: not available in this build")
		},
	}
}
