package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// placeholder until the snapshot command lands; it refuses to run (exit 2).
func newSnapshotCmd(_ *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "snapshot",
		Short: "not available in this build",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("snapshot: not available in this build")
		},
	}
}
