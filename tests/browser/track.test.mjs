// track.js: a shop's product page on its own origin tells shopkeep what the shopper viewed and put in the cart;
// the events reach the shopper's profile (read back through the API with the key the test server runs with).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { BASE, T, launch } from './lib.mjs';

const KEY = process.env.SHOPKEEP_API_KEY || '';
const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Skylark 6</title></head>
<body><h1>Skylark 6</h1>
<script>
  window.shopkeep = window.shopkeep || { q: [] };
  shopkeep.track = shopkeep.track || function () { shopkeep.q.push(arguments); };
  shopkeep.track('viewed', { product: 'rs-001' });
</script>
<script src="${BASE}/track.js" async></script></body></html>`;

async function eventsOf(visitor) {
  const res = await fetch(`${BASE}/v1/visitors/${visitor}/profile`, { headers: { authorization: `Bearer ${KEY}` } });
  return res.status === 200 ? (await res.json()).events : [];
}

describe('track.js', () => {
  let browser;
  let server;
  let origin;
  before(async () => {
    assert.ok(KEY, 'SHOPKEEP_API_KEY is set by the test runner (tests/it/browser.rs)');
    browser = await launch();
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${server.address().port}`;
  });
  after(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r()));
  });

  test('a product page reports views and carts to the shopper\'s profile', async () => {
    const page = await browser.newPage();
    const warnings = [];
    page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => window.shopkeep && window.shopkeep.q && localStorage.getItem('shopkeep.visitor'), null, { timeout: T });
    const visitor = await page.evaluate(() => localStorage.getItem('shopkeep.visitor'));
    assert.match(visitor, /^v-[0-9a-f]{32}$/, 'a random visitor id, shared with the widget');
    await page.evaluate(() => window.shopkeep.track('added_to_cart', { product: 'rs-001', quantity: 2 }));
    await page.evaluate(() => window.shopkeep.track('clicked', {}));
    let events = [];
    for (const until = Date.now() + T; Date.now() < until && events.length < 2; ) {
      events = await eventsOf(visitor);
      if (events.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    const kinds = events.map((e) => e.kind).sort();
    assert.deepEqual(kinds, ['added_to_cart', 'viewed']);
    assert.ok(events.every((e) => e.product === 'rs-001' && e.source === 'widget' && e.session), JSON.stringify(events));
    assert.equal(events.find((e) => e.kind === 'added_to_cart').quantity, 2);
    for (const until = Date.now() + T; Date.now() < until && !warnings.length; ) await new Promise((r) => setTimeout(r, 50));
    assert.ok(warnings.some((w) => /product/.test(w)), `a refused event is logged naming the field: ${warnings}`);
    await page.close();
  });
});
