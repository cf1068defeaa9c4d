// Where and as whom to reach S3, from configuration, with the deadlines every client gets:
// the one mapping the loader, the reconciler's re-reads and the exporter's probes share.
// Retry policy stays with each caller (the loader retries; a scrape does not). Plain data,
// so core needs no SDK: `requestHandler` is the SDK's NodeHttpHandler options object.
import type { Config } from './config';

export interface S3Deadlines {
  /** TCP connect deadline, ms. */
  connectionTimeout: number;
  /** Until the response headers arrive, ms (an error, not the SDK's default warning). */
  requestTimeout: number;
  throwOnRequestTimeout: true;
  /**
   * How long the socket may stay silent, ms, the response body included: a body stream that
   * stalls mid-object fails with a TimeoutError, and a reader resumes from its last byte.
   */
  socketTimeout: number;
}

export interface S3Endpoint {
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  /** Absent: the AWS default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  requestHandler: S3Deadlines;
}

/** Deadlines for an S3 client; without them a stalled socket hangs a run forever. */
export function s3Deadlines(connectMs: number, requestMs: number): S3Deadlines {
  return { connectionTimeout: connectMs, requestTimeout: requestMs, throwOnRequestTimeout: true, socketTimeout: requestMs };
}

export function s3Endpoint(config: Config): S3Endpoint {
  const { s3 } = config;
  return {
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: s3.forcePathStyle,
    credentials: s3.accessKeyId && s3.secretAccessKey ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } : undefined,
    requestHandler: s3Deadlines(s3.connectTimeoutSeconds * 1000, s3.requestTimeoutSeconds * 1000),
  };
}
