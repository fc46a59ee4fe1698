import { api, health } from '../api/client';
import { ErrorBox } from '../components/ErrorBox';
import { usePoll, useTitle } from '../components/hooks';
import { Loading } from '../components/Loading';
import { StatusBadge } from '../components/StatusBadge';

/** DeploymentPage shows the server's version and health. */
export function DeploymentPage() {
  useTitle('Deployment');
  const info = usePoll(() => api.buildInfo(), 0, []);
  const checks = usePoll(async () => ({ live: await health('/healthz'), ready: await health('/readyz') }), 10000, []);
  return (
    <>
      <h1>Deployment</h1>
      <section className="card" aria-labelledby="version-title">
        <h2 id="version-title">Version</h2>
        {info.error !== undefined && <ErrorBox error={info.error} />}
        {info.data ? <p data-testid="version">{info.data.version}</p> : !info.error && <Loading />}
        <p className="muted">
          The CLI should match: <code>den version</code>.
        </p>
      </section>
      <section className="card" aria-labelledby="health-title">
        <h2 id="health-title">Health</h2>
        {!checks.data ? (
          <Loading what="Checking" />
        ) : (
          <dl className="facts">
            <dt>
              Alive <code>/healthz</code>
            </dt>
            <dd>
              <StatusBadge status={checks.data.live.ok ? 'healthy' : 'unhealthy'} /> {!checks.data.live.ok && checks.data.live.text}
            </dd>
            <dt>
              Ready <code>/readyz</code>
            </dt>
            <dd>
              <StatusBadge status={checks.data.ready.ok ? 'healthy' : 'unhealthy'} /> {!checks.data.ready.ok && checks.data.ready.text}
            </dd>
          </dl>
        )}
        <p className="muted">Checked every 10 seconds. Ready means the database answers and every migration is applied.</p>
      </section>
    </>
  );
}
