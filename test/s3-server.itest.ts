// The local stack's S3 server (s3rver behind scripts/bin/s3rver.cjs) behaves as S3 does where
// pipewarden depends on it: a listing longer than one page comes back page by page (s3rver's
// continuation tokens need OpenSSL's legacy provider; without it the second page failed 500).
// Its aws-chunked decoding is exercised by the Spark cluster test (output through s3a).
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client, ensureBucket, openSource } from '@pipewarden/loader';
import { startTestStack, type TestStack } from './helpers/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ services: ['s3'], migrate: false });
});
afterAll(() => stack?.cleanup());

test('a prefix of 1,005 objects lists whole, past the first page of 1,000', async () => {
  const config = stack.config();
  const s3 = createS3Client(config);
  try {
    await ensureBucket(s3, stack.layout.bucket);
    for (let i = 0; i < 1005; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, 1005 - i) }, (_, j) =>
          s3.send(new PutObjectCommand({ Bucket: stack.layout.bucket, Key: `many/part-${String(i + j).padStart(5, '0')}.csv`, Body: 'Summons Number\n1\n' })),
        ),
      );
    }
  } finally {
    s3.destroy();
  }
  const source = openSource(`s3://${stack.layout.bucket}/many/`, config);
  try {
    const objects = await source.list();
    expect(objects).toHaveLength(1005);
    expect(new Set(objects.map((o) => o.key)).size).toBe(1005);
  } finally {
    source.close();
  }
});
