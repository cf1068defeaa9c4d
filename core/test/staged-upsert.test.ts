import { withRowIndex } from '../src/db/staged-upsert';

test('withRowIndex appends each line\'s index in the batch as a last field, with or without a final newline', () => {
  expect(withRowIndex(Buffer.from('a\tb\nc\t\\N\n')).toString()).toBe('a\tb\t0\nc\t\\N\t1\n');
  expect(withRowIndex(Buffer.from('x\ny')).toString()).toBe('x\t0\ny\t1\n');
  expect(withRowIndex(Buffer.alloc(0)).length).toBe(0);
});
