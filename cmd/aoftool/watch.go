package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// placeholder until the watch command lands; it refuses to run (exit 2).
func newWatchCmd(_ *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "watch",
		Short: "not available in this build",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("watch: not available in this build")
		},
	}
}
