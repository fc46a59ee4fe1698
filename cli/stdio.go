package cli

import (
	"context"
	"io"
	"net"
)

// pipeStdio joins stdin and stdout with conn until either side ends.
func pipeStdio(ctx context.Context, conn net.Conn, stdin io.Reader, stdout io.Writer) error {
	done := make(chan error, 2)
	go func() {
		_, err := io.Copy(conn, stdin)
		done <- err
	}()
	go func() {
		_, err := io.Copy(stdout, conn)
		done <- err
	}()
	select {
	case <-ctx.Done():
	case <-done:
	}
	conn.Close()
	return nil
}
