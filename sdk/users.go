package sdk

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// Role is a site-wide role. Every user is a member; other roles add to that.
type Role string

// The roles a user can hold.
const (
	RoleOwner         Role = "owner"
	RoleTemplateAdmin Role = "template-admin"
	RoleUserAdmin     Role = "user-admin"
	RoleAuditor       Role = "auditor"
	RoleMember        Role = "member"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleOwner, RoleTemplateAdmin, RoleUserAdmin, RoleAuditor, RoleMember}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// UserStatus says whether a user may sign in.
type UserStatus string

// The statuses a user can have.
const (
	UserStatusActive    UserStatus = "active"
	UserStatusSuspended UserStatus = "suspended"
)

// User is a person with an account on the server.
type User struct {
	ID         uuid.UUID  `json:"id"`
	Username   string     `json:"username"`
	Email      string     `json:"email"`
	Roles      []Role     `json:"roles"`
	Status     UserStatus `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	LastSeenAt *time.Time `json:"last_seen_at,omitempty"`
}

// Me names the signed-in user wherever a user is expected in a path.
const Me = "me"

// SetupStatus tells a client whether the server still needs its first user.
type SetupStatus struct {
	FirstUserRequired bool `json:"first_user_required"`
}

// CreateFirstUserRequest creates the owner on a server with no users.
type CreateFirstUserRequest struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// LoginRequest signs in with a username or email and a password.
type LoginRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

// LoginResponse carries a new session token; it is shown only once.
type LoginResponse struct {
	User         User      `json:"user"`
	SessionToken string    `json:"session_token"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// CreateUserRequest adds a user. Roles may be empty (member only).
type CreateUserRequest struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
	Roles    []Role `json:"roles"`
}

// UpdateUserStatusRequest suspends or activates a user.
type UpdateUserStatusRequest struct {
	Status UserStatus `json:"status"`
}

// UpdatePasswordRequest sets a user's password
// (PUT /users/{user}/password). Users changing their own give the current
// one; user admins setting another user's leave it out. The user's other
// sessions end; API tokens stay.
type UpdatePasswordRequest struct {
	OldPassword string `json:"old_password,omitempty"`
	Password    string `json:"password"`
}

// UpdateUserRolesRequest replaces a user's roles.
type UpdateUserRolesRequest struct {
	Roles []Role `json:"roles"`
}

// Setup reports whether the server still needs its first user.
func (c *Client) Setup(ctx context.Context) (SetupStatus, error) {
	var s SetupStatus
	err := c.do(ctx, http.MethodGet, APIPrefix+"/setup", nil, &s)
	return s, err
}

// CreateFirstUser creates the owner and signs in as them.
func (c *Client) CreateFirstUser(ctx context.Context, req CreateFirstUserRequest) (LoginResponse, error) {
	var r LoginResponse
	err := c.do(ctx, http.MethodPost, APIPrefix+"/users/first", req, &r)
	return r, err
}

// Login signs in and returns a new session token.
func (c *Client) Login(ctx context.Context, req LoginRequest) (LoginResponse, error) {
	var r LoginResponse
	err := c.do(ctx, http.MethodPost, APIPrefix+"/users/login", req, &r)
	return r, err
}

// Logout ends the client's session on the server.
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, APIPrefix+"/users/logout", nil, nil)
}

// User returns a user by username, ID, or Me.
func (c *Client) User(ctx context.Context, user string) (User, error) {
	var u User
	err := c.do(ctx, http.MethodGet, APIPrefix+"/users/"+pathEscape(user), nil, &u)
	return u, err
}

// Users lists every user.
func (c *Client) Users(ctx context.Context) ([]User, error) {
	var us []User
	err := c.do(ctx, http.MethodGet, APIPrefix+"/users", nil, &us)
	return us, err
}

// CreateUser adds a user.
func (c *Client) CreateUser(ctx context.Context, req CreateUserRequest) (User, error) {
	var u User
	err := c.do(ctx, http.MethodPost, APIPrefix+"/users", req, &u)
	return u, err
}

// UpdateUserStatus suspends or activates a user.
func (c *Client) UpdateUserStatus(ctx context.Context, user string, status UserStatus) (User, error) {
	var u User
	err := c.do(ctx, http.MethodPut, APIPrefix+"/users/"+pathEscape(user)+"/status", UpdateUserStatusRequest{Status: status}, &u)
	return u, err
}

// UpdatePassword sets a user's password (see UpdatePasswordRequest).
func (c *Client) UpdatePassword(ctx context.Context, user string, req UpdatePasswordRequest) error {
	return c.do(ctx, http.MethodPut, APIPrefix+"/users/"+pathEscape(user)+"/password", req, nil)
}

// UpdateUserRoles replaces a user's roles.
func (c *Client) UpdateUserRoles(ctx context.Context, user string, roles []Role) (User, error) {
	var u User
	err := c.do(ctx, http.MethodPut, APIPrefix+"/users/"+pathEscape(user)+"/roles", UpdateUserRolesRequest{Roles: roles}, &u)
	return u, err
}

// DeleteUser deletes a user and ends all their sessions and tokens.
func (c *Client) DeleteUser(ctx context.Context, user string) error {
	return c.do(ctx, http.MethodDelete, APIPrefix+"/users/"+pathEscape(user), nil, nil)
}
