// Package readme holds TestREADMEShellBlocks, which runs the README's
// shell blocks against a running demo, as a reader would, and fails when
// one fails.
//
// A block's marker is an HTML comment on the line before it:
//
//	<!-- readme-test: production host -->        not run: it needs a real host
//	<!-- readme-test: starts the demo … -->       the test starts the demo this way
//	<!-- readme-test: stand-ins for FILE... -->   the test writes small stand-ins
//	                                              of files the reader downloads
//
// Every other ```sh block runs, in order, in one environment (a block's
// exports reach the next), from the repository root, with two changes the
// README itself allows: the demo's directory (`--dir`) and its port (a
// free one when 8000 is busy).
package readme
