package server

import (
	"encoding/json"
	"sort"
	"strings"

	"den/sdk"
)

// resolveParameters returns a value for every parameter of a template
// version: the value given, else the previous build's, else the default.
// previous is nil when the workspace is being created; after that, fixed
// (non-mutable) parameters keep their value. Problems are reported per
// parameter as "parameters.NAME".
func resolveParameters(params []sdk.TemplateParameter, given, previous []sdk.ParameterValue) ([]sdk.ParameterValue, validations) {
	var v validations
	known := map[string]sdk.TemplateParameter{}
	for _, p := range params {
		known[p.Name] = p
	}
	giv := map[string]string{}
	for i, pv := range given {
		field := "parameters." + pv.Name
		if pv.Name == "" {
			v.add("parameters["+itoa(int64(i))+"].name", "is required")
			continue
		}
		if _, ok := known[pv.Name]; !ok {
			v.add(field, "the template has no parameter %q (%s)", pv.Name, parameterNames(params))
			continue
		}
		if _, dup := giv[pv.Name]; dup {
			v.add(field, "is given twice")
			continue
		}
		giv[pv.Name] = pv.Value
	}
	prev := map[string]string{}
	for _, pv := range previous {
		prev[pv.Name] = pv.Value
	}
	out := []sdk.ParameterValue{}
	for _, p := range params {
		field := "parameters." + p.Name
		value, ok := giv[p.Name]
		old, hadOld := prev[p.Name]
		switch {
		case ok && previous != nil && hadOld && !p.Mutable && value != old:
			v.add(field, "cannot change after the workspace is created (it is %q)", old)
			continue
		case ok:
		case hadOld:
			value = old
		case p.Default != nil:
			value = *p.Default
		default:
			detail := "is required"
			if p.Description != "" {
				detail += ": " + p.Description
			}
			v.add(field, "%s", detail)
			continue
		}
		if err := p.ValidateValue(value); err != nil {
			v.add(field, "%s", err)
			continue
		}
		out = append(out, sdk.ParameterValue{Name: p.Name, Value: value})
	}
	return out, v
}

func parameterNames(params []sdk.TemplateParameter) string {
	if len(params) == 0 {
		return "it has none"
	}
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = p.Name
	}
	sort.Strings(names)
	return "it has " + strings.Join(names, ", ")
}

// decodeParameters reads a version's parameters as stored.
func decodeParameters(raw []byte) ([]sdk.TemplateParameter, error) {
	var ps []sdk.TemplateParameter
	err := json.Unmarshal(raw, &ps)
	return ps, err
}

func decodeValues(raw []byte) ([]sdk.ParameterValue, error) {
	var vs []sdk.ParameterValue
	err := json.Unmarshal(raw, &vs)
	return vs, err
}
