import { ApiError } from '../api/client';

interface Props {
  error: unknown;
  /** next says what the person can do about it. */
  next?: React.ReactNode;
  /** hideFields leaves out validation errors a form already shows by its fields. */
  hideFields?: readonly string[];
}

/** ErrorBox shows an error: Den's message, its detail and field errors. */
export function ErrorBox({ error, next, hideFields = [] }: Props) {
  if (!error) return null;
  let message = String(error);
  let detail = '';
  let fields: { field: string; detail: string }[] = [];
  if (error instanceof ApiError) {
    message = error.message;
    detail = error.detail;
    fields = error.validations.filter((v) => !hideFields.some((h) => v.field === h || v.field.startsWith(`${h}.`)));
    // A form shows every one of these by its field: saying it again here
    // ("invalid old_password: ...") only repeats it in the API's words.
    if (error.validations.length > 0 && fields.length === 0 && !next) return null;
  } else if (error instanceof Error) {
    message = error.message;
  }
  return (
    <div className="error-box" role="alert">
      <p className="error-message">{capitalize(message)}</p>
      {detail && <p className="error-detail">{capitalize(detail)}</p>}
      {fields.length > 0 && (
        <ul>
          {fields.map((v) => (
            <li key={v.field}>
              <code>{v.field}</code>: {v.detail}
            </li>
          ))}
        </ul>
      )}
      {next && <p className="error-next">{next}</p>}
    </div>
  );
}

function capitalize(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}
