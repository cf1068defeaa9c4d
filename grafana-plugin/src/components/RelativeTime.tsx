import React from 'react';

import { formatAbsolute, timeAgo } from '../utils/format';

/** "5 min ago", with the exact time (UTC) on hover and for assistive technology. */
export function RelativeTime({ iso }: { iso: string | null | undefined }) {
  if (!iso) {
    return <>–</>;
  }
  return (
    <time dateTime={iso} title={formatAbsolute(iso)}>
      {timeAgo(iso)}
    </time>
  );
}
