// What a shop builds on: DOM events, the add-to-cart hook (a function or a URL template), the JS API, the launcher's
// call to action and auto-open, picture tiles, and the dark theme.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import {
  BASE, T, activeInfo, answerWithMouse, axe, completeWithMouse, current, demoUrl, fmtViolations, launch, newPage, shot, widget,
} from './lib.mjs';

const NAMES = ['open', 'close', 'answer', 'results', 'product-click', 'add-to-cart'];

/** Records every shopkeep:* event on the document and a cart function, before the page's scripts run. */
async function listen(page) {
  await page.addInitScript((names) => {
    window.__events = [];
    window.__cart = [];
    for (const n of names)
      document.addEventListener(`shopkeep:${n}`, (e) => {
        window.__events.push({ name: n, detail: e.detail, target: e.target.id });
        if (n === 'product-click' && window.__keepClicks) e.preventDefault();
      });
  }, NAMES);
}
const events = (page, name) => page.evaluate((n) => window.__events.filter((e) => e.name === n), name);
async function until(page, fn, what) {
  const deadline = Date.now() + T;
  for (;;) {
    const v = await fn();
    if (v) return v;
    assert.ok(Date.now() < deadline, `timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('hooks for the shop', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => browser?.close());

  test('events on the host element, the add-to-cart function, product clicks the shop can take over', async () => {
    const { page, context, rec } = await newPage(browser);
    await listen(page);
    await page.addInitScript(() => {
      window.shopkeepAddToCart = (id) => new Promise((r) => setTimeout(() => r(window.__cart.push(id)), 50));
    });
    try {
      await page.goto(demoUrl({ flow: 'running-shoes' }));
      await widget(page).locator('button.launch').waitFor();
      assert.deepEqual(await events(page, 'open'), [], 'nothing opens by itself');
      await page.evaluate(() => window.Shopkeep.open());
      const w = widget(page);
      const [opened] = await until(page, () => events(page, 'open').then((e) => e.length && e), 'shopkeep:open');
      assert.deepEqual(opened, { name: 'open', detail: { flow: 'running-shoes', byUser: true }, target: 'shopkeep-widget' });

      await answerWithMouse(w, { terrain: 'road' });
      const [answer] = await until(page, () => events(page, 'answer').then((e) => e.length && e), 'shopkeep:answer');
      assert.deepEqual(answer.detail, { flow: 'running-shoes', question: 'terrain', answer: { value: 'road' }, label: 'Road' });

      await completeWithMouse(w, { priorities: 'cushioning' });
      const [results] = await until(page, () => events(page, 'results').then((e) => e.length && e), 'shopkeep:results');
      const cards = await w.locator('[data-current] .card').evaluateAll((els) => els.map((e) => e.getAttribute('data-product')));
      assert.deepEqual(results.detail.products.map((p) => p.id), cards, 'the event lists the picks shown');
      assert.ok(results.detail.products.every((p) => typeof p.price === 'number' && p.currency && p.link));

      const first = w.locator('[data-current] .card').first();
      const cart = first.locator('button.cart');
      assert.match(await cart.getAttribute('aria-label'), /^Add to cart: /);
      await cart.click();
      await first.locator('button.cart', { hasText: 'Added to cart' }).waitFor();
      assert.deepEqual(await page.evaluate(() => window.__cart), [cards[0]], 'the shop function got the product id');
      assert.equal((await events(page, 'add-to-cart'))[0].detail.product, cards[0]);
      // recorded as the shopper's shop event over the chat socket (docs/events.md), and accepted
      const tracked = await until(page, () => rec.sent.find((m) => m.type === 'track'), 'a track message');
      assert.equal(tracked.event.kind, 'added_to_cart');
      assert.equal(tracked.event.product, cards[0]);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(rec.received.filter((m) => m.type === 'error'), [], 'the server took the event');
      assert.equal(await w.locator('[data-current] .card button.cart:not([data-done])').count(), cards.length - 1);
      const found = await axe(page);
      assert.deepEqual(found, [], fmtViolations(found));
      await shot(page, 'hooks-cart');

      // the shop takes over a product click (preventDefault): no navigation, the click is still recorded
      await page.evaluate(() => (window.__keepClicks = true));
      const url = page.url();
      await first.locator('a.view').click();
      const [click] = await until(page, () => events(page, 'product-click').then((e) => e.length && e), 'shopkeep:product-click');
      assert.equal(click.detail.product, cards[0]);
      assert.ok(click.detail.href.startsWith(`${BASE}/p/`));
      assert.equal(page.url(), url, 'the page stayed');
      await until(page, () => rec.sent.some((m) => m.type === 'event' && m.kind === 'clicked' && m.product === cards[0]), 'clicked event sent');

      await page.keyboard.press('Escape');
      assert.equal((await events(page, 'close')).length, 1);
    } finally {
      await context.close();
    }
  });

  test('picks repeated after a dropped connection or a reload come with resumed: true, so a shop counts them once', async () => {
    const { page, context } = await newPage(browser);
    await listen(page);
    try {
      await page.goto(demoUrl({ flow: 'running-shoes', open: 'true' }));
      const w = widget(page);
      await completeWithMouse(w);
      const first = await until(page, () => events(page, 'results').then((e) => e.length && e), 'shopkeep:results');
      assert.equal(first.length, 1);
      assert.equal(first[0].detail.resumed, false, 'picks shown for the first time');
      const ids = first[0].detail.products.map((p) => p.id);

      // the connection drops (a network blip): the widget resumes and the server repeats the picks
      await page.evaluate(() => window.Shopkeep.instances[0].ws.close(4000));
      const again = await until(page, () => events(page, 'results').then((e) => e.length > 1 && e), 'results after the resume');
      assert.equal(again.length, 2);
      assert.equal(again[1].detail.resumed, true, 'a repeat after a reconnection');
      assert.deepEqual(again[1].detail.products.map((p) => p.id), ids);

      await page.reload();
      const reloaded = await until(page, () => events(page, 'results').then((e) => e.length && e), 'results after a reload');
      assert.equal(reloaded[0].detail.resumed, true, 'a repeat after a reload');
      // a new conversation's picks count again
      await widget(page).locator('.hd button[aria-label="Start over"]').click();
      await completeWithMouse(widget(page));
      const fresh = await until(page, () => events(page, 'results').then((e) => e.length > 1 && e), 'results after a restart');
      assert.equal(fresh[1].detail.resumed, false, 'picks of a new conversation');
    } finally {
      await context.close();
    }
  });

  test('add to cart through a URL template; Shopkeep.open({flow}) switches finder; options with pictures are tiles', async () => {
    const { page, context } = await newPage(browser, { locale: 'ja-JP' });
    const posted = [];
    await page.route(`${BASE}/cart/add**`, (route) => {
      posted.push([route.request().method(), new URL(route.request().url()).searchParams.get('id')]);
      return route.fulfill({ status: 204 });
    });
    try {
      await page.goto(demoUrl({ flow: 'running-shoes', cart: '/cart/add?id={id}' }));
      await widget(page).locator('button.launch').waitFor();
      await page.evaluate(() => window.Shopkeep.open({ flow: 'knives' }));
      const w = widget(page);
      const c = await current(w);
      assert.equal(c.id, 'knife_type', 'the knives finder');
      const tiles = c.el.locator('.chip.tile');
      assert.equal(await tiles.count(), 7, 'seven picture tiles');
      const loaded = await tiles.locator('img').evaluateAll((imgs) =>
        Promise.all(imgs.map((i) => (i.complete ? i.naturalWidth > 0 : new Promise((r) => { i.onload = () => r(true); i.onerror = () => r(false); })))));
      assert.ok(loaded.every(Boolean), 'every tile picture loads');
      assert.equal(await tiles.first().textContent(), '三徳包丁', 'a tile is named by its label');
      const found = await axe(page);
      assert.deepEqual(found, [], fmtViolations(found));
      await shot(page, 'tiles');
      await tiles.nth(1).click();
      assert.equal((await current(w)).id, 'steel');
      await completeWithMouse(w);
      const first = w.locator('[data-current] .card').first();
      const id = await first.getAttribute('data-product');
      await first.locator('button.cart').click();
      await first.locator('button.cart', { hasText: 'カートに追加しました' }).waitFor();
      assert.deepEqual(posted, [['POST', id]]);
    } finally {
      await context.close();
    }
  });

  test('a call-to-action launcher that opens by itself once a day, and the dark theme', async () => {
    const { page, context } = await newPage(browser, { colorScheme: 'dark' });
    await listen(page);
    try {
      await page.goto(demoUrl({ flow: 'running-shoes', cta: 'Need help choosing?', auto_open: '1' }));
      const w = widget(page);
      const launcher = w.getByRole('button', { name: 'Need help choosing?' });
      await launcher.waitFor();
      await w.locator('[role=dialog]').waitFor({ state: 'visible' });
      const [opened] = await events(page, 'open');
      assert.equal(opened.detail.byUser, false, 'opened by itself');
      const bg = await w.locator('.panel').evaluate((e) => getComputedStyle(e).backgroundColor);
      assert.equal(bg, 'rgb(22, 27, 32)', 'dark panel under prefers-color-scheme: dark');
      await current(w);
      const found = await axe(page);
      assert.deepEqual(found, [], fmtViolations(found));
      await shot(page, 'dark-cta');
      assert.notEqual((await activeInfo(page)).inWidget, true, 'opening by itself takes no focus');
      await w.locator('button[aria-label="Close assistant"]').click();

      // closed by the shopper: a reload does not open it again today (it would within 1 s)
      await page.reload();
      await widget(page).getByRole('button', { name: 'Need help choosing?' }).waitFor();
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(await widget(page).locator('[role=dialog]').isVisible(), false, 'at most once a day');
    } finally {
      await context.close();
    }
  });

  test('exit intent opens it on a desktop; Shopkeep.open({flow}) makes a launcher on a page without one', async () => {
    const { page, context } = await newPage(browser);
    await listen(page);
    try {
      await page.goto(demoUrl({ flow: 'running-shoes', auto_open: 'exit' }));
      const w = widget(page);
      await w.locator('button.launch').waitFor();
      // the pointer moves about the page: nothing; it leaves through the top: the panel opens
      await page.mouse.move(600, 400);
      await page.mouse.move(600, 5);
      assert.equal(await w.locator('[role=dialog]').isVisible(), false);
      await page.evaluate(() =>
        document.documentElement.dispatchEvent(new MouseEvent('mouseout', { bubbles: true, clientX: 600, clientY: -2, relatedTarget: null })));
      await w.locator('[role=dialog]').waitFor({ state: 'visible' });
      assert.equal((await events(page, 'open'))[0].detail.byUser, false);

      // a page with an inline finder and a script tag without data-flow: no launcher until the API asks for one
      // (a real loopback server: Chromium blocks a page Playwright makes up from reaching loopback)
      const server = createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><html lang="en"><title>Inline</title><main><div id="f" data-shopkeep-inline ' +
          `data-flow="backpacks"></div></main><script src="${BASE}/widget.js"></script>`);
      });
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      await page.goto(`http://127.0.0.1:${server.address().port}/`);
      await current(page.locator('#f'));
      assert.equal(await page.locator('#shopkeep-widget').count(), 0, 'no launcher yet');
      await page.evaluate(() => window.Shopkeep.open({ flow: 'knives' }));
      assert.equal((await current(widget(page))).id, 'knife_type', 'a launcher on the finder asked for');
      server.closeAllConnections();
      server.close();
    } finally {
      await context.close();
    }
  });
});
