package sdk

import (
	"context"
	"net/http"
)

// BuildInfo describes the server's build.
type BuildInfo struct {
	Version string `json:"version"`
}

// BuildInfo returns the server's version.
func (c *Client) BuildInfo(ctx context.Context) (BuildInfo, error) {
	var b BuildInfo
	err := c.do(ctx, http.MethodGet, APIPrefix+"/buildinfo", nil, &b)
	return b, err
}
