// Template parameters: the same rules as sdk.TemplateParameter.ValidateValue
// (sdk/parameters.go), so the form says what the server would say.
import type { ParameterValue, TemplateParameter } from './types.gen';

/** label is how a parameter is shown to a person. */
export function label(p: TemplateParameter): string {
  return p.display_name || p.name;
}

/** required reports whether a value must be given (there is no default). */
export function required(p: TemplateParameter): boolean {
  return p.default === undefined || p.default === null;
}

// Go's %q, close enough for messages.
const q = (s: string) => JSON.stringify(s);

// A decimal number as Go's strconv.ParseFloat reads it (without the rarer
// hexadecimal and underscore forms).
const numberRE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function formatNumber(n: number): string {
  return String(n);
}

/**
 * validateValue returns '' when v is a valid value for p and otherwise a
 * message a person can act on, as the server words it.
 */
export function validateValue(p: TemplateParameter, v: string): string {
  const fail = (def: string) => p.validation?.error || def;
  switch (p.type) {
    case 'string':
      break;
    case 'number': {
      const s = v.trim();
      const n = Number(s);
      if (!numberRE.test(s) || !Number.isFinite(n)) return `${q(v)} is not a number`;
      const val = p.validation;
      if (val?.min !== undefined && val.min !== null && n < val.min) return fail(`must be at least ${formatNumber(val.min)}`);
      if (val?.max !== undefined && val.max !== null && n > val.max) return fail(`must be at most ${formatNumber(val.max)}`);
      break;
    }
    case 'bool':
      if (v !== 'true' && v !== 'false') return `${q(v)} is not true or false`;
      break;
    case 'list(string)': {
      let list: unknown;
      try {
        list = JSON.parse(v);
      } catch {
        list = undefined;
      }
      const ok = list === null || (Array.isArray(list) && list.every((x) => typeof x === 'string'));
      if (!ok) return `${q(v)} is not a list of strings; write it as JSON, such as ["a", "b"]`;
      break;
    }
    default:
      return `unknown parameter type ${q(String(p.type))}`;
  }
  const options = p.options ?? [];
  if (options.length > 0 && !options.some((o) => o.value === v)) {
    return `${q(v)} is not one of the options: ${options.map((o) => q(o.value)).join(', ')}`;
  }
  if (p.type === 'string' && p.validation?.regex) {
    let re: RegExp;
    try {
      re = new RegExp(p.validation.regex);
    } catch {
      return ''; // a Go regex JavaScript cannot read: the server decides
    }
    if (!re.test(v)) return fail(`must match ${p.validation.regex}`);
  }
  return '';
}

/** initialValues are the values a new form starts with: previous, else default. */
export function initialValues(params: TemplateParameter[], previous: ParameterValue[] = []): Record<string, string> {
  const prev = new Map(previous.map((v) => [v.name, v.value]));
  const out: Record<string, string> = {};
  for (const p of params) {
    const old = prev.get(p.name);
    if (old !== undefined) out[p.name] = old;
    else if (!required(p)) out[p.name] = p.default as string;
    else out[p.name] = '';
  }
  return out;
}

/**
 * validateAll checks every value; a required parameter left empty is
 * "is required", as the server says when no value is sent (toValues leaves
 * it out). The result maps names to messages.
 */
export function validateAll(params: TemplateParameter[], values: Record<string, string>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const p of params) {
    const v = values[p.name] ?? '';
    if (v === '' && required(p)) {
      errors[p.name] = p.description ? `is required: ${p.description}` : 'is required';
      continue;
    }
    const msg = validateValue(p, v);
    if (msg) errors[p.name] = msg;
  }
  return errors;
}

/** toValues turns form values into the request's list. */
export function toValues(params: TemplateParameter[], values: Record<string, string>): ParameterValue[] {
  return params
    .filter((p) => values[p.name] !== undefined && !(values[p.name] === '' && required(p)))
    .map((p) => ({ name: p.name, value: values[p.name] }));
}

/**
 * parameterErrors picks the server's per-parameter validation errors
 * (fields "parameters.NAME") out of an error's field map.
 */
export function parameterErrors(fields: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, detail] of Object.entries(fields)) {
    if (field.startsWith('parameters.')) out[field.slice('parameters.'.length)] = detail;
  }
  return out;
}

/** listToLines shows a list(string) value one item a line. */
export function listToLines(v: string): string {
  try {
    const list = JSON.parse(v);
    if (Array.isArray(list)) return list.join('\n');
  } catch {
    // not a list: show it as it is
  }
  return v;
}

/** linesToList turns one item a line back into the JSON value. */
export function linesToList(text: string): string {
  return JSON.stringify(text.split('\n').map((s) => s.trim()).filter((s) => s !== ''));
}
