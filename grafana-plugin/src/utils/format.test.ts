import { formatBytes, formatCount, formatDuration, plural, timeAgo } from './format';

describe('format', () => {
  it('formats counts with separators and a dash for unknown', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(undefined)).toBe('–');
  });

  it('formats bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
  });

  it('formats durations from milliseconds to hours', () => {
    expect(formatDuration(0.25)).toBe('250 ms');
    expect(formatDuration(12.34)).toBe('12.3 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(7260)).toBe('2 h 1 min');
    expect(formatDuration(null)).toBe('–');
  });

  it('says how long ago', () => {
    const now = Date.parse('2026-11-27T12:00:00Z');
    expect(timeAgo('2026-11-27T11:59:30Z', now)).toBe('30 s ago');
    expect(timeAgo('2026-11-27T11:00:00Z', now)).toBe('1 h ago');
    expect(timeAgo(null, now)).toBe('–');
  });

  it('pluralizes', () => {
    expect(plural(1, 'batch', 'batches')).toBe('1 batch');
    expect(plural(2500, 'row')).toBe('2,500 rows');
  });
});
