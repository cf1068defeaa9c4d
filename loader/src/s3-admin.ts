// `pipewarden s3 …`: stage data without other tools (create the bucket, upload with
// multipart for large files, list).
import { createReadStream, statSync } from 'node:fs';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { UserError } from '@pipewarden/core';
import { explainS3Error, parseS3Url } from './source/s3';

export async function ensureBucket(client: S3Client, bucket: string): Promise<boolean> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return false;
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404 && (e as Error).name !== 'NotFound' && (e as Error).name !== 'NoSuchBucket') throw explainS3Error(e, `bucket s3://${bucket}`);
  }
  await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((e) => {
    throw explainS3Error(e, `creating bucket s3://${bucket}`);
  });
  return true;
}

export interface PutResult {
  url: string;
  bytes: number;
  etag: string;
}

export async function putFile(client: S3Client, file: string, url: string, onProgress?: (loaded: number, total: number) => void): Promise<PutResult> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new UserError(`cannot read ${file}`);
  }
  const { bucket, prefix } = parseS3Url(url);
  const key = prefix === '' || prefix.endsWith('/') ? prefix + file.split('/').pop() : prefix;
  await ensureBucket(client, bucket);
  const upload = new Upload({ client, params: { Bucket: bucket, Key: key, Body: createReadStream(file) }, partSize: 16 << 20, queueSize: 2 });
  upload.on('httpUploadProgress', (p) => onProgress?.(p.loaded ?? 0, size));
  const res = await upload.done().catch((e) => {
    throw explainS3Error(e, `uploading to s3://${bucket}/${key}`);
  });
  return { url: `s3://${bucket}/${key}`, bytes: size, etag: String((res as { ETag?: string }).ETag ?? '').replace(/"/g, '') };
}
