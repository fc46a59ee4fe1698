interface Props extends React.InputHTMLAttributes<HTMLInputElement> {
  label: string;
  name: string;
  error?: string;
  help?: React.ReactNode;
}

/** Field is a labelled input with its help and error text tied to it. */
export function Field({ label, name, error, help, id, ...input }: Props) {
  const fid = id ?? `field-${name}`;
  const described = [help ? `${fid}-help` : '', error ? `${fid}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={fid}>{label}</label>
      <input id={fid} name={name} aria-invalid={error ? true : undefined} aria-describedby={described} {...input} />
      {help && (
        <p className="field-help" id={`${fid}-help`}>
          {help}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${fid}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
