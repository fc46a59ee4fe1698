package server

import (
	"den/sdk"
	"den/store/db"
)

// roles returns the user's roles, member included.
func roles(u db.User) []sdk.Role {
	out := make([]sdk.Role, 0, len(u.Roles)+1)
	for _, r := range u.Roles {
		out = append(out, sdk.Role(r))
	}
	return append(out, sdk.RoleMember)
}

func convertUser(u db.User) sdk.User {
	return sdk.User{
		ID:         u.ID,
		Username:   u.Username,
		Email:      u.Email,
		Roles:      roles(u),
		Status:     sdk.UserStatus(u.Status),
		CreatedAt:  u.CreatedAt,
		LastSeenAt: u.LastSeenAt,
	}
}

func convertToken(k db.ApiKey) sdk.Token {
	return sdk.Token{
		ID:         k.ID,
		Name:       k.Name,
		CreatedAt:  k.CreatedAt,
		ExpiresAt:  k.ExpiresAt,
		LastUsedAt: k.LastUsedAt,
	}
}
