// Package e2e tests Den end to end on real parts: the server in-process on
// a real PostgreSQL, with the docker provisioner on a real Docker engine.
// It holds only tests and benchmarks.
package e2e
