// Where and as whom to reach S3, from configuration: the one mapping the loader, the
// reconciler's re-reads and the exporter's probes share. Retry and timeout policy stay with
// each caller (the loader retries; a scrape does not). Plain data, so core needs no SDK.
import type { Config } from './config';

export interface S3Endpoint {
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  /** Absent: the AWS default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function s3Endpoint(config: Config): S3Endpoint {
  const { s3 } = config;
  return {
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: s3.forcePathStyle,
    credentials: s3.accessKeyId && s3.secretAccessKey ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } : undefined,
  };
}
