// Package aoftool is the root of the aoftool module: read-only forensics for
// Redis and Valkey persistence files. The command is in cmd/aoftool; this
// package holds only repository-wide tests.
package aoftool
