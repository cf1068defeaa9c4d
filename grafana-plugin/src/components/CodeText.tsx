import React from 'react';

/**
 * A message whose `backticked` parts are commands or names (the texts are shared with the
 * CLI and the logs, which use Markdown's convention): shown as inline code, never as literal
 * backticks. A text with an unpaired backtick is shown as it is.
 */
export function CodeText({ text }: { text: string }) {
  const parts = text.split('`');
  if (parts.length % 2 === 0) {
    return <>{text}</>;
  }
  return <>{parts.map((p, i) => (i % 2 === 1 ? <code key={i}>{p}</code> : <React.Fragment key={i}>{p}</React.Fragment>))}</>;
}
