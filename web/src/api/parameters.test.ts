import { describe, expect, it } from 'vitest';
import { initialValues, linesToList, listToLines, parameterErrors, toValues, validateAll, validateValue } from './parameters';
import type { TemplateParameter } from './types.gen';

const p = (over: Partial<TemplateParameter>): TemplateParameter => ({ name: 'x', type: 'string', mutable: true, ...over });

// The cases mirror sdk/parameters.go's ValidateValue.
describe('validateValue', () => {
  const cases: [string, TemplateParameter, string, string][] = [
    ['any string', p({}), 'hello', ''],
    ['number', p({ type: 'number' }), ' 4.5 ', ''],
    ['not a number', p({ type: 'number' }), '4x', '"4x" is not a number'],
    ['empty number', p({ type: 'number' }), '', '"" is not a number'],
    ['below min', p({ type: 'number', validation: { min: 1, max: 8 } }), '0', 'must be at least 1'],
    ['above max', p({ type: 'number', validation: { min: 1, max: 8 } }), '9', 'must be at most 8'],
    ['at max', p({ type: 'number', validation: { min: 1, max: 8 } }), '8', ''],
    ['custom error', p({ type: 'number', validation: { max: 8, error: 'at most 8 CPUs' } }), '16', 'at most 8 CPUs'],
    ['bool', p({ type: 'bool' }), 'true', ''],
    ['not a bool', p({ type: 'bool' }), 'yes', '"yes" is not true or false'],
    ['list', p({ type: 'list(string)' }), '["a","b"]', ''],
    ['not a list', p({ type: 'list(string)' }), 'a,b', '"a,b" is not a list of strings; write it as JSON, such as ["a", "b"]'],
    ['list of numbers', p({ type: 'list(string)' }), '[1]', '"[1]" is not a list of strings; write it as JSON, such as ["a", "b"]'],
    ['option', p({ options: [{ value: 'go' }, { value: 'rust' }] }), 'go', ''],
    ['not an option', p({ options: [{ value: 'go' }, { value: 'rust' }] }), 'c', '"c" is not one of the options: "go", "rust"'],
    ['regex', p({ validation: { regex: '^[a-z]+$' } }), 'abc', ''],
    ['regex fails', p({ validation: { regex: '^[a-z]+$' } }), 'ABC', 'must match ^[a-z]+$'],
    ['regex custom error', p({ validation: { regex: '^[a-z]+$', error: 'lower case only' } }), 'A', 'lower case only'],
    ['regex ignored for numbers', p({ type: 'number', validation: { regex: '^9$' } }), '3', ''],
  ];
  for (const [name, param, value, want] of cases) {
    it(name, () => expect(validateValue(param, value)).toBe(want));
  }
});

describe('form helpers', () => {
  const params = [
    p({ name: 'region', default: 'eu' }),
    p({ name: 'cpu', type: 'number', description: 'CPU cores' }),
    p({ name: 'dotfiles', type: 'string' }),
  ];

  it('starts from previous values, then defaults', () => {
    expect(initialValues(params, [{ name: 'cpu', value: '2' }])).toEqual({ region: 'eu', cpu: '2', dotfiles: '' });
  });

  it('requires values without a default, saying what they are for', () => {
    expect(validateAll(params, { region: 'eu', cpu: '', dotfiles: '' })).toEqual({
      cpu: 'is required: CPU cores',
      dotfiles: 'is required',
    });
  });

  it('leaves out empty required values, so the server says they are required', () => {
    expect(toValues(params, { region: 'eu', cpu: '', dotfiles: 'x' })).toEqual([
      { name: 'region', value: 'eu' },
      { name: 'dotfiles', value: 'x' },
    ]);
  });

  it('picks the server errors of parameters', () => {
    expect(parameterErrors({ name: 'taken', 'parameters.cpu': 'must be at most 8' })).toEqual({ cpu: 'must be at most 8' });
  });

  it('edits lists one item a line', () => {
    expect(listToLines('["a","b"]')).toBe('a\nb');
    expect(linesToList('a\n\n b \n')).toBe('["a","b"]');
  });
});
