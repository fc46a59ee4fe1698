package cli

import (
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"den/sdk"
)

func (r *Root) pingCommand() *cobra.Command {
	var count int
	cmd := &cobra.Command{
		Use:   "ping NAME",
		Short: "Measure the round trip to a workspace's agent through the server",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			client, ws, err := r.clientWorkspace(ctx, args[0])
			if err != nil {
				return err
			}
			start := time.Now()
			conn, err := client.DialWorkspace(ctx, ws.ID, sdk.StreamHeader{Kind: sdk.StreamPing})
			if err != nil {
				return err
			}
			defer conn.Close()
			fmt.Fprintf(r.Stdout, "Connected to %s through %s in %s\n", ws.Name, client.URL.Host, ms(time.Since(start)))
			var rtts []time.Duration
			buf := make([]byte, 8)
			for i := range count {
				if i > 0 {
					select {
					case <-ctx.Done():
						return nil
					case <-time.After(200 * time.Millisecond):
					}
				}
				t0 := time.Now()
				binary.BigEndian.PutUint64(buf, uint64(i))
				if _, err := conn.Write(buf); err != nil {
					return err
				}
				if _, err := io.ReadFull(conn, buf); err != nil {
					return err
				}
				rtt := time.Since(t0)
				rtts = append(rtts, rtt)
				fmt.Fprintf(r.Stdout, "pong from %s: %s\n", ws.Name, ms(rtt))
			}
			slices.Sort(rtts)
			fmt.Fprintf(r.Stdout, "%d pings: min %s, median %s, max %s (den client → server → agent and back)\n",
				len(rtts), ms(rtts[0]), ms(rtts[len(rtts)/2]), ms(rtts[len(rtts)-1]))
			return nil
		},
	}
	cmd.Flags().IntVarP(&count, "count", "c", 5, "how many pings")
	return cmd
}

func (r *Root) speedtestCommand() *cobra.Command {
	var size int64
	cmd := &cobra.Command{
		Use:   "speedtest NAME",
		Short: "Measure throughput to and from a workspace through the server",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if size <= 0 || size > sdk.MaxSpeedtestBytes {
				return fmt.Errorf("--bytes must be between 1 and %d", int64(sdk.MaxSpeedtestBytes))
			}
			client, ws, err := r.clientWorkspace(ctx, args[0])
			if err != nil {
				return err
			}
			for _, dir := range []string{"up", "down"} {
				conn, err := client.DialWorkspace(ctx, ws.ID, sdk.StreamHeader{Kind: sdk.StreamSpeedtest, Direction: dir, Bytes: size})
				if err != nil {
					return err
				}
				t0 := time.Now()
				if dir == "up" {
					buf := make([]byte, 64<<10)
					for left := size; left > 0; {
						n := min(left, int64(len(buf)))
						if _, err := conn.Write(buf[:n]); err != nil {
							conn.Close()
							return err
						}
						left -= n
					}
					var got map[string]int64
					if err := sdk.ReadStreamMessage(conn, &got); err != nil {
						conn.Close()
						return err
					}
				} else if _, err := io.CopyN(io.Discard, conn, size); err != nil {
					conn.Close()
					return err
				}
				d := time.Since(t0)
				conn.Close()
				label := map[string]string{"up": "to", "down": "from"}[dir]
				fmt.Fprintf(r.Stdout, "%-4s %s %s: %.1f MiB in %s, %.1f MiB/s\n", dir, label, ws.Name,
					float64(size)/(1<<20), ms(d), float64(size)/(1<<20)/d.Seconds())
			}
			return nil
		},
	}
	cmd.Flags().Int64Var(&size, "bytes", 64<<20, "how many bytes each way")
	return cmd
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
