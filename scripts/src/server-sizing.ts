// MariaDB sized for this machine the way a production database server for bulk loads would be
// (the README's production section gives the same settings and why), for `pipewarden up` and
// the load benchmark alike. The server shares the machine with the loader, Redis and the
// rest of the stack, so it takes half of the memory, not the 70–80% of a dedicated server
// (InnoDB takes the buffer pool's pages as it fills them, not at start).
import { totalmem } from 'node:os';

export interface ServerSizing {
  bufferPool: string;
  settings: Record<string, string | number>;
}

export function serverSizing(bufferPool?: string): ServerSizing {
  const pool = bufferPool ?? `${Math.max(1, Math.floor(totalmem() / 2 ** 30 / 2))}G`;
  return {
    bufferPool: pool,
    settings: {
      // A redo log that holds minutes of writes: checkpoints do not throttle a long load.
      innodb_log_file_size: '2G',
      innodb_log_buffer_size: '64M',
      // SSDs: no flushing of neighbouring pages, more background I/O per second.
      innodb_flush_neighbors: 0,
      innodb_io_capacity: 2000,
      innodb_io_capacity_max: 4000,
    },
  };
}
