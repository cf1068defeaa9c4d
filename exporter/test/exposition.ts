// Reading the exporter's text exposition in tests.

/** "name{labels}" → value, as the exposition writes it. */
export function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

export interface ScrapeResult {
  status: number;
  ms: number;
  contentType: string | null;
  text: string;
  samples: Map<string, number>;
}

export async function scrape(url: string): Promise<ScrapeResult> {
  const started = performance.now();
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  return { status: res.status, ms: performance.now() - started, contentType: res.headers.get('content-type'), text, samples: parseExposition(text) };
}
