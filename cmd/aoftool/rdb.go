package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// placeholder until the rdb command lands; it refuses to run (exit 2).
func newRDBCmd(_ *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "rdb",
		Short: "not available in this build",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("rdb: not available in this build")
		},
	}
}
