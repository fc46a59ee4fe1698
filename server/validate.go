package server

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"den/sdk"
	"den/server/password"
)

var (
	usernameRE  = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$`)
	nameRE      = regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)
	tokenNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
)

const (
	maxUsernameLen  = 32
	maxTokenNameLen = 64
)

// validations gathers what is wrong with a request, field by field.
type validations []sdk.ValidationError

func (v *validations) add(field, format string, args ...any) {
	*v = append(*v, sdk.ValidationError{Field: field, Detail: fmt.Sprintf(format, args...)})
}

func (v *validations) username(field, name string) {
	switch {
	case name == "":
		v.add(field, "is required")
	case len(name) > maxUsernameLen:
		v.add(field, "must be at most %d characters", maxUsernameLen)
	case !usernameRE.MatchString(name):
		v.add(field, "may contain only letters, digits and hyphens, and must start and end with a letter or digit")
	case strings.EqualFold(name, sdk.Me):
		v.add(field, "%q is reserved", name)
	}
}

// name checks a template or workspace name: a DNS label of at most 32
// characters, so it can name containers and hosts.
func (v *validations) name(field, name, what string) {
	switch {
	case name == "":
		v.add(field, "is required")
	case len(name) > 32:
		v.add(field, "must be at most 32 characters")
	case !nameRE.MatchString(name):
		v.add(field, "a %s name may contain only lowercase letters, digits and hyphens, and must start with a letter and end with a letter or digit", what)
	}
}

func (v *validations) email(field, email string) {
	if email == "" {
		v.add(field, "is required")
		return
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		v.add(field, "must be an email address such as ada@example.com")
	}
}

func (v *validations) password(field, pw string) {
	if pw == "" {
		v.add(field, "is required")
		return
	}
	if msg := password.Validate(pw); msg != "" {
		v.add(field, "%s", msg)
	}
}

// roles checks rs and returns them as stored: sorted, without duplicates and
// without the implicit member role.
func (v *validations) roles(field string, rs []sdk.Role) []string {
	out := []string{}
	for i, r := range rs {
		if !r.Valid() {
			v.add(fmt.Sprintf("%s[%d]", field, i), "unknown role %q; the roles are %s", r, roleList())
			continue
		}
		if r != sdk.RoleMember && !slices.Contains(out, string(r)) {
			out = append(out, string(r))
		}
	}
	slices.Sort(out)
	return out
}

func (v *validations) tokenName(field, name string) {
	switch {
	case len(name) > maxTokenNameLen:
		v.add(field, "must be at most %d characters", maxTokenNameLen)
	case name != "" && !tokenNameRE.MatchString(name):
		v.add(field, "may contain only letters, digits, '.', '_' and '-', and must start with a letter or digit")
	}
}

func quote(s string) string { return strconv.Quote(s) }

func roleList() string {
	s := make([]string, len(sdk.Roles))
	for i, r := range sdk.Roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}
