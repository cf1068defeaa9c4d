import { loaderWithPipelines, statusWithPipelines } from '../test/pipelineFixtures';
import { statusFixture } from '../test/fixtures';
import { pipelineRows, readProgress, reconcilerPipelineNames } from './pipelines';

describe('pipelineRows', () => {
  it('joins the reconciler and the loader by pipeline name', () => {
    const rows = pipelineRows(statusWithPipelines(), loaderWithPipelines());
    expect(rows.map((r) => r.name)).toEqual(['parking', 'orders']);
    expect(rows[1]).toMatchObject({ dataset: 'shop-orders', table: 'orders', batchesInDoubt: 2, last: null });
    expect(rows[1].loader?.rowsLoaded).toBe(7000);
    expect(rows[0].last?.requestedBy).toBe('alice');
  });

  it('lists a pipeline only one service knows, with nothing invented for the other', () => {
    const rows = pipelineRows(statusFixture(), loaderWithPipelines());
    expect(rows.map((r) => r.name)).toEqual(['parking', 'orders']);
    expect(rows[0].batchesInDoubt).toBeUndefined();
    expect(rows[0].last).toBeUndefined();
  });

  it('has no rows for services older than pipelines', () => {
    expect(pipelineRows(statusFixture(), undefined)).toEqual([]);
    expect(reconcilerPipelineNames(statusFixture())).toEqual([]);
  });
});

describe('readProgress', () => {
  it('is a whole percentage of the bytes read, unknown without a total', () => {
    expect(readProgress({ bytesRead: 1, bytesTotal: 3 })).toBe('33%');
    expect(readProgress({ bytesRead: 0, bytesTotal: 0 })).toBeUndefined();
    expect(readProgress(undefined)).toBeUndefined();
  });
});
