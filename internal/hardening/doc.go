// Package hardening holds the tests that hold every aoftool command to its
// guarantees at once: nothing in an inspected path changes, hostile files
// end in a finding and exit 1 (never a panic, a hang or an out-of-memory
// kill), and odd filesystem objects are reported instead of opened. The
// tests run the built binary, as an operator would, under an address-space
// limit and a timeout.
package hardening
