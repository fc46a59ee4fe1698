import { Link } from 'react-router-dom';
import { useTitle } from '../components/hooks';

/** NotFoundPage is every path the dashboard does not know. */
export function NotFoundPage() {
  useTitle('Not found');
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. Workspaces live at <code>/@user/workspace</code>. Go back to{' '}
        <Link to="/">your workspaces</Link>.
      </p>
    </>
  );
}
