import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { ErrorBox } from './ErrorBox';

const invalid = new ApiError(400, {
  message: 'invalid old_password: is not your current password',
  validations: [
    { field: 'old_password', detail: 'is not your current password' },
    { field: 'other', detail: 'is wrong too' },
  ],
});

describe('ErrorBox', () => {
  it('lists the field errors the form does not show', () => {
    render(<ErrorBox error={invalid} hideFields={['old_password']} />);
    expect(screen.getByRole('alert').textContent).toContain('is wrong too');
  });

  it('says nothing when the form shows every field error by its field', () => {
    const { container } = render(<ErrorBox error={invalid} hideFields={['old_password', 'other']} />);
    expect(container.textContent).toBe('');
  });

  it('shows errors that are not about fields', () => {
    render(<ErrorBox error={new ApiError(429, { message: 'too many attempts' })} hideFields={['password']} />);
    expect(screen.getByRole('alert').textContent).toMatch(/too many attempts/i);
  });
});
