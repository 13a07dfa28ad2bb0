import { describe, expect, it } from 'vitest';
import { reportQuery } from './admin';

describe('a report run query', () => {
  it('leaves empty parameters out, so the report uses its own default', () => {
    expect(reportQuery({ date_from: '2026-11-01', date_to: '', location: '  ' })).toBe('?date_from=2026-11-01');
    expect(reportQuery({})).toBe('');
  });

  it('escapes values and asks for CSV when told', () => {
    expect(reportQuery({ location: 'NYC & co' }, 'csv')).toBe('?location=NYC+%26+co&format=csv');
  });
});
