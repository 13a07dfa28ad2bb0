import { describe, expect, it } from 'vitest';
import { auditQuery, reportQuery } from './admin';

describe('a report run query', () => {
  it('leaves empty parameters out, so the report uses its own default', () => {
    expect(reportQuery({ date_from: '2026-11-01', date_to: '', location: '  ' })).toBe('?date_from=2026-11-01');
    expect(reportQuery({})).toBe('');
  });

  it('escapes values and asks for CSV when told', () => {
    expect(reportQuery({ location: 'NYC & co' }, 'csv')).toBe('?location=NYC+%26+co&format=csv');
  });
});

describe('an audit-log query', () => {
  it('names the filters the way the server does and pages by id', () => {
    expect(auditQuery({ from: '2026-11-01T00:00:00.000Z', staffId: '3', action: 'cash', location: '', register: ' ' }, 120)).toBe(
      '?from=2026-11-01T00%3A00%3A00.000Z&staff_id=3&action=cash&before_id=120',
    );
    expect(auditQuery({})).toBe('');
  });
});
