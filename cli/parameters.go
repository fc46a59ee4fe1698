package cli

import (
	"context"
	"fmt"
	"strings"

	"den/sdk"
)

// parseParameterFlags reads --parameter NAME=VALUE flags.
func parseParameterFlags(flags []string) ([]sdk.ParameterValue, error) {
	var out []sdk.ParameterValue
	seen := map[string]bool{}
	for _, f := range flags {
		name, value, ok := strings.Cut(f, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--parameter %q: write it as NAME=VALUE", f)
		}
		if seen[name] {
			return nil, fmt.Errorf("--parameter %s is given twice", name)
		}
		seen[name] = true
		out = append(out, sdk.ParameterValue{Name: name, Value: value})
	}
	return out, nil
}

// askParameters completes values for params: values given as flags stay;
// for the others, on a terminal den asks (showing the default) unless yes is
// set, and elsewhere the defaults hold. needs decides which parameters are
// asked about at all (all of them for a new workspace; only new ones for an
// update). Values given are checked here so a typo is caught before the
// server sees it.
func (r *Root) askParameters(ctx context.Context, params []sdk.TemplateParameter, given []sdk.ParameterValue, yes bool, needs func(sdk.TemplateParameter) bool) ([]sdk.ParameterValue, error) {
	byName := map[string]sdk.TemplateParameter{}
	for _, p := range params {
		byName[p.Name] = p
	}
	have := map[string]bool{}
	for _, v := range given {
		p, ok := byName[v.Name]
		if !ok {
			return nil, fmt.Errorf("--parameter %s: the template has no such parameter (%s)", v.Name, paramNames(params))
		}
		if err := p.ValidateValue(v.Value); err != nil {
			return nil, fmt.Errorf("--parameter %s: %w", v.Name, err)
		}
		have[v.Name] = true
	}
	_, tty := r.terminal()
	out := append([]sdk.ParameterValue(nil), given...)
	var p *prompter
	for _, param := range params {
		if have[param.Name] || !needs(param) {
			continue
		}
		if !tty || (yes && !param.Required()) {
			if param.Required() {
				return nil, fmt.Errorf("parameter %s has no default: pass --parameter %s=VALUE", param.Name, param.Name)
			}
			continue
		}
		if p == nil {
			p = r.prompter()
		}
		value, err := askParameter(ctx, p, param)
		if err != nil {
			return nil, err
		}
		out = append(out, sdk.ParameterValue{Name: param.Name, Value: value})
	}
	return out, nil
}

func askParameter(ctx context.Context, p *prompter, param sdk.TemplateParameter) (string, error) {
	fmt.Fprintf(p.r.Stderr, "\n%s", param.Label())
	if param.Description != "" {
		fmt.Fprintf(p.r.Stderr, ": %s", param.Description)
	}
	fmt.Fprintln(p.r.Stderr)
	for _, o := range param.Options {
		label := o.Value
		if o.Name != "" && o.Name != o.Value {
			label += " (" + o.Name + ")"
		}
		fmt.Fprintf(p.r.Stderr, "  - %s\n", label)
	}
	def := ""
	if param.Default != nil {
		def = *param.Default
	}
	for {
		v, err := p.ask(ctx, fmt.Sprintf("%s (%s)", param.Name, param.Type), def)
		if err != nil {
			return "", err
		}
		if err := param.ValidateValue(v); err != nil {
			fmt.Fprintf(p.r.Stderr, "That does not work: %s\n", err)
			continue
		}
		return v, nil
	}
}

func paramNames(params []sdk.TemplateParameter) string {
	if len(params) == 0 {
		return "it has none"
	}
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = p.Name
	}
	return "it has " + strings.Join(names, ", ")
}
