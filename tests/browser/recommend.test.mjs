// "Recommended for you": a returning shopper sees the strip above the first question; a first-time visitor does
// not, unless the page names the product in view (data-context, Shopkeep.open({context})). Events are seeded
// through the API with the key the test server runs with.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BASE, T, axe, current, demoUrl, fmtViolations, launch, newPage, shot, waitFrames, widget } from './lib.mjs';

const KEY = process.env.SHOPKEEP_API_KEY || '';
const RETURNING = 'v-browser-returning';

async function post(events) {
  const res = await fetch(`${BASE}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  assert.equal(res.status, 200, await res.text());
}

describe('recommended for you', () => {
  let browser;
  before(async () => {
    assert.ok(KEY, 'SHOPKEEP_API_KEY is set by the test runner (tests/it/browser.rs)');
    browser = await launch();
    // The returning shopper looked at two trail shoes last week; a backpack too, outside the finder's scope.
    const at = Math.floor(Date.now() / 1000) - 7 * 86400;
    await post(
      ['rs-005', 'bp-004', 'rs-006'].map((product, n) => ({
        id: `rec-${product}`, visitor: RETURNING, session: 'rec-s', kind: 'viewed', product, at: at + n,
      })),
    );
  });
  after(async () => {
    await browser?.close();
  });

  test('a returning shopper sees the strip before the first question, axe clean', async () => {
    const { context, page, rec } = await newPage(browser);
    await page.goto(demoUrl({ open: 'true', visitor: RETURNING }));
    const w = widget(page);
    const q = await current(w);
    assert.equal(q.kind, 'single');
    const reply = await waitFrames(rec, 'received', (m) => m.type === 'recommendations', 'recommendations');
    assert.equal(reply.returning, true);
    const strip = w.locator('section.recs');
    await strip.waitFor({ state: 'visible' });
    assert.equal(await strip.locator('h3').textContent(), 'Recommended for you');
    // Other tests share this server, so what others viewed may come too: check what is this shopper's own.
    const cards = await strip.locator('.card').evaluateAll((els) => els.map((e) => e.getAttribute('data-product')));
    assert.ok(cards.includes('rs-006'), `their last look: ${cards}`);
    assert.ok(!cards.includes('bp-004'), `the running-shoe finder's scope: ${cards}`);
    assert.ok(cards.every((id) => id.startsWith('rs-')), `${cards}`);
    assert.equal(await strip.locator('.card[data-product="rs-006"] .why').textContent(), 'Recently viewed');
    // above the first question
    const order = await w.evaluate((host) => {
      const log = host.shadowRoot.querySelector('section.recs').parentElement;
      const kids = [...log.children];
      return [kids.findIndex((e) => e.matches('section.recs')), kids.findIndex((e) => e.matches('.turn'))];
    });
    assert.ok(order[0] >= 0 && order[0] < order[1], `strip before question: ${order}`);
    const found = await axe(page);
    assert.deepEqual(found, [], fmtViolations(found));
    await shot(page, 'recommended-for-you');
    assert.deepEqual(rec.errors, []);
    await context.close();
  });

  test('a first-time visitor gets no strip, but does on a product page', async () => {
    const { context, page, rec } = await newPage(browser);
    await page.goto(demoUrl({ open: 'true', visitor: 'v-browser-first' }));
    const w = widget(page);
    await current(w);
    const reply = await waitFrames(rec, 'received', (m) => m.type === 'recommendations', 'recommendations');
    assert.equal(reply.returning, false);
    assert.equal(await w.locator('section.recs').count(), 0, 'no strip for a first-time visitor');
    // the shop's product page opens the assistant about the product in view
    await page.evaluate(() => window.Shopkeep.open({ context: 'rs-005' }));
    const asked = await waitFrames(rec, 'sent', (m) => m.type === 'recommend' && m.context === 'rs-005', 'recommend with context');
    assert.equal(asked.limit, 4);
    const about = await waitFrames(rec, 'received', (m) => m.type === 'recommendations' && m !== reply, 'recommendations for rs-005');
    const ids = about.products.map((p) => p.id);
    assert.ok(ids.length && ids.every((id) => id.startsWith('rs-') && id !== 'rs-005'), `${ids}`);
    assert.match(about.products[0].kind, /^(bought|viewed)_together$/, 'its companions first');
    const strip = w.locator('section.recs');
    await strip.waitFor({ state: 'visible' });
    assert.equal(await strip.locator('.card').count(), ids.length);
    await context.close();
  });

  test('data-context on the embed shows the strip in Japanese', async () => {
    const { context, page } = await newPage(browser, { locale: 'ja-JP' });
    await page.goto(demoUrl({ open: 'true', visitor: 'v-browser-ja', context: 'rs-006', locale: 'ja' }));
    const w = widget(page);
    const strip = w.locator('section.recs');
    await strip.waitFor({ state: 'visible', timeout: T });
    assert.equal(await strip.locator('h3').textContent(), 'あなたへのおすすめ');
    assert.match(await strip.locator('.card .why').first().textContent(), /した方はこちらも|見た方はこちらも/);
    await context.close();
  });
});
