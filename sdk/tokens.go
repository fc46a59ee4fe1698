package sdk

import (
	"context"
	"net/http"
	"time"
)

// Token is a named API token, without its secret.
type Token struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	LastUsedAt time.Time `json:"last_used_at"`
}

// CreateTokenRequest asks for a new API token. An empty name gets a generated
// one; a zero lifetime gets the server's default.
type CreateTokenRequest struct {
	Name            string `json:"name"`
	LifetimeSeconds int64  `json:"lifetime_seconds"`
}

// CreateTokenResponse carries the new token's secret; it is shown only once.
type CreateTokenResponse struct {
	Token Token  `json:"token"`
	Key   string `json:"key"`
}

// Tokens lists a user's API tokens.
func (c *Client) Tokens(ctx context.Context, user string) ([]Token, error) {
	var ts []Token
	err := c.do(ctx, http.MethodGet, APIPrefix+"/users/"+pathEscape(user)+"/tokens", nil, &ts)
	return ts, err
}

// CreateToken makes a new API token for a user.
func (c *Client) CreateToken(ctx context.Context, user string, req CreateTokenRequest) (CreateTokenResponse, error) {
	var r CreateTokenResponse
	err := c.do(ctx, http.MethodPost, APIPrefix+"/users/"+pathEscape(user)+"/tokens", req, &r)
	return r, err
}

// DeleteToken removes a user's API token by name or ID.
func (c *Client) DeleteToken(ctx context.Context, user, token string) error {
	return c.do(ctx, http.MethodDelete, APIPrefix+"/users/"+pathEscape(user)+"/tokens/"+pathEscape(token), nil, nil)
}
