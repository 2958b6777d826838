// The merchandiser's dashboard (/admin/) in headless Chromium: conversations are seeded over the chat socket from
// a page of the server itself, then the overview and the running-shoes page must show their charts (inline SVG,
// no script) in English and Japanese, axe clean. Screenshots: output/dashboard-en.png, output/dashboard-ja.png.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BASE, T, axe, fmtViolations, launch, shot } from './lib.mjs';

/** Runs conversations over real chat sockets from inside `page` (same origin): each a list of messages sent one
 * after another, each waiting for the reply that ends its turn. Returns the picks of each conversation's result. */
async function converse(page, conversations) {
  return page.evaluate(async ({ conversations, wait }) => {
    const run = (messages) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://${location.host}/v1/chat`);
        const timer = setTimeout(() => reject(new Error('no reply in time')), wait);
        let i = 0;
        let picks = [];
        const next = () => {
          if (i === messages.length) {
            clearTimeout(timer);
            ws.close();
            resolve(picks);
            return;
          }
          const message = messages[i++];
          ws.send(JSON.stringify(message));
          // An event has no reply: go on at once.
          if (message.type === 'event') next();
        };
        ws.onopen = next;
        ws.onmessage = (e) => {
          const m = JSON.parse(e.data);
          if (m.type === 'products') picks = m.products.map((p) => p.id);
          if (['question', 'products', 'error'].includes(m.type)) next();
        };
        ws.onerror = () => reject(new Error('socket failed'));
      });
    const out = [];
    for (const c of conversations) out.push(await run(c));
    return out;
  }, { conversations, wait: T });
}

const start = (visitor) => ({ type: 'start', flow: 'running-shoes', locale: 'en', visitor });
const answer = (a) => ({ type: 'answer', ...a });

describe('insights dashboard', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('the overview and a finder page show the figures as charts, in English and Japanese, axe clean', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1800 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const res = await page.goto(`${BASE}/admin/?lang=en`, { timeout: T });
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-security-policy'] || '', /script-src 'self'/);
    const [picks] = await converse(page, [
      [start('dash-a'), answer({ value: 'trail' }), answer({ value: 'yes' }), answer({ values: ['cushioning'] }),
        answer({ range: { max: 150 } }), { type: 'skip' }],
      [start('dash-b'), answer({ text: 'on the moon' }), answer({ text: 'road' })],
      [start('dash-c'), answer({ value: 'road' }), answer({ values: ['light'] }), answer({ value: 'no' }),
        answer({ range: { max: 40 } }), { type: 'skip' }],
    ]);
    assert.ok(picks.length > 0, 'the first conversation saw picks');
    await converse(page, [[start('dash-a'), { type: 'event', kind: 'clicked', product: picks[0] }, answer({})]]);

    await page.goto(`${BASE}/admin/?lang=en`, { timeout: T });
    const link = page.locator('a[href^="/admin/dashboard/running-shoes"]');
    await link.waitFor({ timeout: T });
    await link.click();
    await page.waitForURL(/\/admin\/dashboard\/running-shoes/, { timeout: T });
    for (const id of ['funnel', 'series', 'drop-off', 'zero', 'answers', 'picks', 'not-understood']) {
      assert.equal(await page.locator(`section#${id}`).count(), 1, `section ${id}`);
    }
    // Every chart is an inline SVG with a title and real bars.
    const charts = await page.$$eval('section svg', (svgs) =>
      svgs.map((s) => ({ title: s.querySelector('title')?.textContent, rects: s.querySelectorAll('rect').length, w: s.getBoundingClientRect().width })),
    );
    assert.ok(charts.length >= 5, `charts: ${charts.length}`);
    for (const c of charts) assert.ok(c.title && c.w > 100, JSON.stringify(c));
    assert.ok(charts.some((c) => c.rects >= 5), 'the funnel and drop-off have bars');
    const dropOff = await page.locator('section#drop-off').innerText();
    assert.match(dropOff, /terrain/);
    assert.match(dropOff, /priorities/);
    assert.match(await page.locator('section#not-understood').innerText(), /on the moon/);
    assert.match(await page.locator('section#picks').innerText(), new RegExp(picks[0]));
    assert.match(await page.locator('section#zero h2').innerText(), /leave shoppers with nothing/);
    // The date chooser is a plain form: choosing 24 hours reloads the page with it.
    await page.selectOption('select[name=since]', '24h');
    await page.click('form button');
    await page.waitForURL(/since=24h/, { timeout: T });
    assert.equal(await page.locator('section#funnel').count(), 1);
    const v = await axe(page, 'body');
    assert.deepEqual(v, [], fmtViolations(v));
    await shot(page, 'dashboard-en');

    await page.goto(`${BASE}/admin/dashboard/running-shoes?lang=ja`, { timeout: T });
    assert.equal(await page.getAttribute('html', 'lang'), 'ja');
    assert.match(await page.locator('section#drop-off h2').innerText(), /質問ごとの離脱/);
    assert.match(await page.locator('section#zero h2').innerText(), /商品が1つも表示されません/);
    const vj = await axe(page, 'body');
    assert.deepEqual(vj, [], fmtViolations(vj));
    await shot(page, 'dashboard-ja');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
