import { WarmPool } from './warm-pool';

interface Item {
  id: number;
  alive: boolean;
}

function pool(size: number, mayStart = () => true): { pool: WarmPool<Item>; started: Item[] } {
  const started: Item[] = [];
  return {
    started,
    pool: new WarmPool<Item>({
      size,
      start: () => {
        const item = { id: started.length, alive: true };
        started.push(item);
        return item;
      },
      usable: (item) => item.alive,
      mayStart,
    }),
  };
}

describe('WarmPool', () => {
  it('refills to its size and hands out the oldest usable item, skipping dead ones', () => {
    const { pool: p, started } = pool(3);
    p.refill();
    expect(started.map((i) => i.id)).toEqual([0, 1, 2]);
    started[0].alive = false;
    expect(p.take()?.id).toBe(1);
    expect(p.size).toBe(1);
    p.refill();
    expect(started).toHaveLength(5);
    expect(p.items.map((i) => i.id)).toEqual([2, 3, 4]);
  });

  it('starts nothing while mayStart says no, and is empty when size is 0', () => {
    let open = false;
    const { pool: p, started } = pool(2, () => open);
    p.refill();
    expect(started).toHaveLength(0);
    expect(p.take()).toBeUndefined();
    open = true;
    p.refill();
    expect(started).toHaveLength(2);
    const empty = pool(0);
    empty.pool.refill();
    expect(empty.started).toHaveLength(0);
  });

  it('remove tells whether the item was still idle; drain empties the pool', () => {
    const { pool: p, started } = pool(2);
    p.refill();
    const taken = p.take()!;
    expect(p.remove(taken)).toBe(false);
    expect(p.remove(started[1])).toBe(true);
    p.refill();
    expect(p.drain().map((i) => i.id)).toEqual([2, 3]);
    expect(p.size).toBe(0);
  });
});
