import { useCallback, useState } from 'react';
import type { ParameterValue, TemplateParameter } from '../api/types.gen';
import {
  initialValues,
  label,
  linesToList,
  listToLines,
  required,
  validateAll,
  validateValue,
} from '../api/parameters';

/** focusFirstInvalid moves the keyboard focus to a form's first field with a problem. */
export function focusFirstInvalid(form: HTMLFormElement | null): void {
  requestAnimationFrame(() => form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
}

/** ParameterFormState is what a page holds for a parameter form. */
export interface ParameterFormState {
  values: Record<string, string>;
  errors: Record<string, string>;
  setValue: (name: string, value: string) => void;
  /** validate checks every value, shows the problems and says whether there were none. */
  validate: () => boolean;
  /** showErrors shows errors from elsewhere (the server's), by parameter name. */
  showErrors: (errors: Record<string, string>) => void;
}

/** useParameterForm keeps a parameter form's values and errors. */
export function useParameterForm(params: TemplateParameter[], previous?: ParameterValue[]): ParameterFormState {
  const [values, setValues] = useState(() => initialValues(params, previous));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const setValue = useCallback(
    (name: string, value: string) => {
      setValues((vs) => ({ ...vs, [name]: value }));
      // Once a field shows a problem, say as soon as it is fixed.
      setErrors((es) => {
        if (!(name in es)) return es;
        const p = params.find((x) => x.name === name);
        const next = { ...es };
        const msg = p ? (validateAll([p], { [name]: value })[name] ?? '') : '';
        if (msg) next[name] = msg;
        else delete next[name];
        return next;
      });
    },
    [params],
  );
  const validate = useCallback(() => {
    const es = validateAll(params, values);
    setErrors(es);
    return Object.keys(es).length === 0;
  }, [params, values]);
  return { values, errors, setValue, validate, showErrors: setErrors };
}

interface Props {
  parameters: TemplateParameter[];
  state: ParameterFormState;
  /** fixed names parameters that cannot change (an existing workspace's immutable ones). */
  fixed?: ReadonlySet<string>;
}

/** ParameterForm renders one field per template parameter. */
export function ParameterForm({ parameters, state, fixed }: Props) {
  if (parameters.length === 0) {
    return <p className="muted">This template has no parameters.</p>;
  }
  return (
    <fieldset className="parameters">
      <legend>Parameters</legend>
      {parameters.map((p) => (
        <ParameterField
          key={p.name}
          param={p}
          value={state.values[p.name] ?? ''}
          error={state.errors[p.name]}
          disabled={fixed?.has(p.name) ?? false}
          onChange={(v) => state.setValue(p.name, v)}
          onBlur={(v) => {
            if (v !== '' && !state.errors[p.name]) {
              const msg = validateValue(p, v);
              if (msg) state.showErrors({ ...state.errors, [p.name]: msg });
            }
          }}
        />
      ))}
    </fieldset>
  );
}

interface FieldProps {
  param: TemplateParameter;
  value: string;
  error?: string;
  disabled: boolean;
  onChange: (v: string) => void;
  onBlur: (v: string) => void;
}

function hint(p: TemplateParameter): string {
  const parts: string[] = [];
  const v = p.validation;
  if (p.type === 'number' && v) {
    const hasMin = v.min !== undefined && v.min !== null;
    const hasMax = v.max !== undefined && v.max !== null;
    if (hasMin && hasMax) parts.push(`A number from ${v.min} to ${v.max}.`);
    else if (hasMin) parts.push(`A number of at least ${v.min}.`);
    else if (hasMax) parts.push(`A number of at most ${v.max}.`);
  } else if (p.type === 'number') {
    parts.push('A number.');
  }
  if (p.type === 'string' && v?.regex) parts.push(`Must match ${v.regex}.`);
  if (p.type === 'list(string)') parts.push('One item a line.');
  if (!p.mutable) parts.push('Cannot change after the workspace is created.');
  return parts.join(' ');
}

function ParameterField({ param: p, value, error, disabled, onChange, onBlur }: FieldProps) {
  const id = `param-${p.name}`;
  const descID = `${id}-desc`;
  const errID = `${id}-error`;
  const describedBy = [p.description || hint(p) ? descID : '', error ? errID : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: p.name,
    disabled,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy,
    'aria-required': required(p) || undefined,
  };
  const options = p.options ?? [];
  let input: React.ReactNode;
  if (options.length > 0) {
    input = (
      <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
        {(value === '' || !options.some((o) => o.value === value)) && (
          <option value={value}>{value === '' ? 'Choose…' : value}</option>
        )}
        {options.map((o) => (
          <option key={o.value} value={o.value} title={o.description}>
            {o.name || o.value}
          </option>
        ))}
      </select>
    );
  } else if (p.type === 'bool' && !required(p)) {
    input = (
      <input
        {...common}
        type="checkbox"
        checked={value === 'true'}
        onChange={(e) => onChange(e.target.checked ? 'true' : 'false')}
      />
    );
  } else if (p.type === 'bool') {
    input = (
      <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Choose…</option>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    );
  } else if (p.type === 'list(string)') {
    input = <ListInput common={common} value={value} onChange={onChange} onBlur={onBlur} />;
  } else {
    input = (
      <input
        {...common}
        type="text"
        inputMode={p.type === 'number' ? 'decimal' : undefined}
        autoComplete="off"
        spellCheck={false}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onBlur={(e) => onBlur(e.target.value)}
      />
    );
  }
  const checkbox = p.type === 'bool' && !required(p) && options.length === 0;
  return (
    <div className={`field${checkbox ? ' field-checkbox' : ''}${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>
        {label(p)}
        {required(p) && <span className="required"> (required)</span>}
        {p.display_name && p.display_name !== p.name && <code className="param-name">{p.name}</code>}
      </label>
      {input}
      {(p.description || hint(p)) && (
        <p className="field-help" id={descID}>
          {p.description}
          {p.description && hint(p) ? ' ' : ''}
          {hint(p)}
        </p>
      )}
      {error && (
        <p className="field-error" id={errID} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

interface ListProps {
  common: Record<string, unknown>;
  value: string;
  onChange: (v: string) => void;
  onBlur: (v: string) => void;
}

// ListInput edits a list(string) one item a line and hands on the JSON.
function ListInput({ common, value, onChange, onBlur }: ListProps) {
  const [text, setText] = useState(() => listToLines(value));
  return (
    <textarea
      {...common}
      rows={3}
      spellCheck={false}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        onChange(linesToList(e.target.value));
      }}
      onBlur={() => onBlur(linesToList(text))}
    />
  );
}
