import { act, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import { usePoll } from './hooks';

afterEach(() => vi.useRealTimers());

function Poller({ fetcher }: { fetcher: () => Promise<string> }) {
  const { data, error } = usePoll(fetcher, 1000, []);
  return <p>{error instanceof Error ? `error: ${error.message}` : (data ?? 'loading')}</p>;
}

describe('usePoll', () => {
  it('asks again every interval', async () => {
    vi.useFakeTimers();
    let n = 0;
    const fetcher = vi.fn(async () => `answer ${++n}`);
    render(<Poller fetcher={fetcher} />);
    await act(async () => {});
    expect(screen.getByText('answer 1')).toBeTruthy();
    await act(async () => vi.advanceTimersByTime(1000));
    expect(screen.getByText('answer 2')).toBeTruthy();
  });

  it('stops asking after a 404: what was deleted does not come back', async () => {
    vi.useFakeTimers();
    const fetcher = vi.fn(async (): Promise<string> => {
      throw new ApiError(404, { message: 'workspace not found' });
    });
    render(<Poller fetcher={fetcher} />);
    await act(async () => {});
    expect(screen.getByText('error: workspace not found')).toBeTruthy();
    await act(async () => vi.advanceTimersByTime(5000));
    expect(fetcher).toHaveBeenCalledTimes(1);
  });
});
