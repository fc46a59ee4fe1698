package sdk

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ParameterType is the type of a template parameter's value. Every value
// travels as a string: numbers in decimal, bools as "true"/"false", lists of
// strings as a JSON array.
type ParameterType string

// The parameter types.
const (
	ParameterString     ParameterType = "string"
	ParameterNumber     ParameterType = "number"
	ParameterBool       ParameterType = "bool"
	ParameterListString ParameterType = "list(string)"
)

// TemplateParameter is one choice a template leaves to whoever creates a
// workspace from it.
type TemplateParameter struct {
	Name        string        `json:"name"`
	DisplayName string        `json:"display_name,omitempty"`
	Description string        `json:"description,omitempty"`
	Type        ParameterType `json:"type"`
	// Default is used when no value is given; nil makes the parameter
	// required.
	Default *string `json:"default,omitempty"`
	// Options, when not empty, are the only values allowed.
	Options    []ParameterOption    `json:"options,omitempty"`
	Validation *ParameterValidation `json:"validation,omitempty"`
	// Mutable parameters may change after the workspace is created;
	// the others are fixed at creation.
	Mutable bool `json:"mutable"`
}

// ParameterOption is one allowed value, with a name for people.
type ParameterOption struct {
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Value       string `json:"value"`
}

// ParameterValidation constrains a value: Regex for strings, Min and Max for
// numbers. Error, when set, is the message shown when a value fails.
type ParameterValidation struct {
	Regex string   `json:"regex,omitempty"`
	Min   *float64 `json:"min,omitempty"`
	Max   *float64 `json:"max,omitempty"`
	Error string   `json:"error,omitempty"`
}

// ParameterValue is a value given for a parameter.
type ParameterValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Required reports whether a value must be given.
func (p TemplateParameter) Required() bool { return p.Default == nil }

// Label is how the parameter is shown to a person.
func (p TemplateParameter) Label() string {
	if p.DisplayName != "" {
		return p.DisplayName
	}
	return p.Name
}

// ValidateValue returns nil when v is a valid value for p, and otherwise an
// error a person can act on. The server, the CLI and the dashboard all use it.
func (p TemplateParameter) ValidateValue(v string) error {
	switch p.Type {
	case ParameterString:
	case ParameterNumber:
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return fmt.Errorf("%q is not a number", v)
		}
		if val := p.Validation; val != nil {
			if val.Min != nil && n < *val.Min {
				return p.fail(fmt.Sprintf("must be at least %s", formatNumber(*val.Min)))
			}
			if val.Max != nil && n > *val.Max {
				return p.fail(fmt.Sprintf("must be at most %s", formatNumber(*val.Max)))
			}
		}
	case ParameterBool:
		if v != "true" && v != "false" {
			return fmt.Errorf("%q is not true or false", v)
		}
	case ParameterListString:
		var list []string
		if err := json.Unmarshal([]byte(v), &list); err != nil {
			return fmt.Errorf(`%q is not a list of strings; write it as JSON, such as ["a", "b"]`, v)
		}
	default:
		return fmt.Errorf("unknown parameter type %q", p.Type)
	}
	if len(p.Options) > 0 && !slices.ContainsFunc(p.Options, func(o ParameterOption) bool { return o.Value == v }) {
		vals := make([]string, len(p.Options))
		for i, o := range p.Options {
			vals[i] = strconv.Quote(o.Value)
		}
		return fmt.Errorf("%q is not one of the options: %s", v, strings.Join(vals, ", "))
	}
	if p.Type == ParameterString && p.Validation != nil && p.Validation.Regex != "" {
		re, err := regexp.Compile(p.Validation.Regex)
		if err != nil {
			return fmt.Errorf("the template's regex %q does not compile: %w", p.Validation.Regex, err)
		}
		if !re.MatchString(v) {
			return p.fail(fmt.Sprintf("must match %s", p.Validation.Regex))
		}
	}
	return nil
}

func (p TemplateParameter) fail(def string) error {
	if p.Validation != nil && p.Validation.Error != "" {
		return fmt.Errorf("%s", p.Validation.Error)
	}
	return fmt.Errorf("%s", def)
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
