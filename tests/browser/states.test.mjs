// What a shopper sees across a session: the phone panel as a true modal, the transcript after a reload, the step
// count of the path taken, and one money format.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import {
  BASE, PHONE, PHONE_SIDEWAYS, activeInfo, answerUntil, answerWithMouse, completeWithMouse, current, launch, newPage, openWidget, shot, widget,
} from './lib.mjs';

describe('states', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => browser?.close());

  test('on a phone the panel is a modal: focus stays inside, the page is inert and still, Escape returns to the launcher', async () => {
    const { page, context } = await newPage(browser, { viewport: PHONE });
    try {
      const w = await openWidget(page, { flow: 'running-shoes' });
      await current(w);
      const facts = () => page.evaluate(() => ({
        modal: document.querySelector('#shopkeep-widget').shadowRoot.querySelector('[role=dialog]').getAttribute('aria-modal'),
        overflow: getComputedStyle(document.documentElement).overflow,
        mainInert: document.querySelector('main').inert,
        y: scrollY,
      }));
      assert.deepEqual(await facts(), { modal: 'true', overflow: 'hidden', mainInert: true, y: 0 });
      const inputSize = await w.locator('form.comp input').evaluate((e) => getComputedStyle(e).fontSize);
      assert.equal(inputSize, '16px', 'no zoom on focus in iOS');
      await w.locator('[data-current] .q').focus();
      for (const key of ['Tab', 'Shift+Tab']) {
        const seen = new Set();
        for (let i = 0; i < 25; i++) {
          await page.keyboard.press(key);
          const a = await activeInfo(page);
          assert.ok(a && a.inWidget, `${key} #${i + 1} left the panel: ${JSON.stringify(a)}`);
          seen.add(a.label || a.text || a.tag);
        }
        assert.ok(seen.size >= 5, `${key} cycles through the panel's controls: ${[...seen]}`);
      }
      await page.mouse.move(195, 100);
      await page.mouse.wheel(0, 900);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      assert.equal((await facts()).y, 0, 'the page behind does not scroll');
      await shot(page, 'phone-modal');

      await page.keyboard.press('Escape');
      const a = await activeInfo(page);
      assert.equal(a.label, 'Open shopping assistant', 'Escape returns focus to the launcher');
      const closed = await facts();
      assert.equal(closed.modal, 'false');
      assert.equal(closed.mainInert, false, 'the page is usable again');
      await page.mouse.wheel(0, 900);
      await page.waitForFunction(() => scrollY > 0);
      // the close button does the same
      await w.locator('button.launch').click();
      await w.locator('button[aria-label="Close assistant"]').click();
      assert.equal((await activeInfo(page)).label, 'Open shopping assistant');
    } finally {
      await context.close();
    }
  });

  test('a phone on its side is a modal too (full screen, 16 px inputs); a desktop window as short is not', async () => {
    const look = (page) => page.evaluate(() => {
      const root = document.querySelector('#shopkeep-widget').shadowRoot;
      const r = root.querySelector('[role=dialog]').getBoundingClientRect();
      return {
        box: [r.x, r.y, r.width, r.height].map(Math.round).join(','),
        modal: root.querySelector('[role=dialog]').getAttribute('aria-modal'),
        mainInert: document.querySelector('main').inert,
        input: getComputedStyle(root.querySelector('form.comp input')).fontSize,
      };
    });
    const phone = await newPage(browser, { viewport: PHONE_SIDEWAYS, touch: true });
    try {
      const w = await openWidget(phone.page, { flow: 'running-shoes' });
      await current(w);
      const { width, height } = PHONE_SIDEWAYS;
      assert.deepEqual(await look(phone.page), { box: `0,0,${width},${height}`, modal: 'true', mainInert: true, input: '16px' },
        'a 390 px high touch screen gets the full-screen modal, not a sliver of a panel');
      await w.locator('[data-current] .q').focus();
      for (let i = 0; i < 20; i++) {
        await phone.page.keyboard.press('Tab');
        assert.ok((await activeInfo(phone.page)).inWidget, `Tab #${i + 1} left the panel`);
      }
      await shot(phone.page, 'phone-sideways');
    } finally {
      await phone.context.close();
    }
    const desktop = await newPage(browser, { viewport: PHONE_SIDEWAYS });
    try {
      const w = await openWidget(desktop.page, { flow: 'running-shoes' });
      await current(w);
      const got = await look(desktop.page);
      assert.deepEqual([got.modal, got.mainInert, got.input], ['false', false, '15px'], 'a short desktop window keeps the floating panel');
      assert.notEqual(got.box, `0,0,${PHONE_SIDEWAYS.width},${PHONE_SIDEWAYS.height}`);
    } finally {
      await desktop.context.close();
    }
  });

  test('a reload keeps the transcript, says welcome back once, and counts steps for the path taken', async () => {
    const { page, context } = await newPage(browser);
    try {
      let w = await openWidget(page, { flow: 'running-shoes' });
      const first = await answerWithMouse(w, { terrain: 'trail' });
      assert.equal(first.id, 'terrain');
      // trail asks waterproof but not race: five questions in all, from the first one on
      const second = await current(w);
      assert.equal(second.id, 'waterproof');
      assert.match(await w.locator('.prog').textContent(), /Step 2 of 5/);
      await answerWithMouse(w, { waterproof: 'yes' });
      const third = await current(w);
      assert.equal(third.id, 'priorities');

      await page.reload();
      w = widget(page);
      const again = await current(w);
      assert.equal(again.id, 'priorities', 'the same question');
      assert.match(await w.locator('.prog').textContent(), /Step 3 of 5/);
      const past = await w.locator('.msg.past').allTextContents();
      assert.deepEqual(past.slice(1), ['Where do you run most?', 'Trail', 'Do you need them to be waterproof?', 'Yes, waterproof']);
      assert.match(past[0], /^Hi! Answer a few quick questions/, 'the greeting comes first');
      assert.equal(await w.locator('.note', { hasText: 'Welcome back' }).count(), 1, 'the welcome back note shows');
      await shot(page, 'reload-transcript');

      // the rest of the path still counts five; a restart forgets the transcript
      const rest = await completeWithMouse(w, { priorities: 'cushioning' });
      assert.equal(rest.length, 3);
      await w.locator('.hd button[aria-label="Start over"]').click();
      await current(w);
      await page.reload();
      await current(widget(page));
      assert.equal(await widget(page).locator('.msg.past').count(), 0, 'nothing kept after a restart');
    } finally {
      await context.close();
    }
  });

  test('a duplicated tab takes the conversation over; the first tab says so and takes it back when the shopper acts', async () => {
    const first = await newPage(browser);
    let second;
    try {
      const a = await openWidget(first.page, { flow: 'running-shoes' });
      await answerWithMouse(a, { terrain: 'trail' });
      assert.equal((await current(a)).id, 'waterproof');
      // A duplicated tab starts with a copy of the first tab's sessionStorage (the resume token and transcript).
      const kept = await first.page.evaluate(() => Object.fromEntries(Object.entries(sessionStorage)));
      second = await newPage(browser);
      await second.page.addInitScript((kept) => {
        if (sessionStorage.getItem('copied')) return;
        for (const [k, v] of Object.entries(kept)) sessionStorage.setItem(k, v);
        sessionStorage.setItem('copied', '1');
      }, kept);
      const b = await openWidget(second.page, { flow: 'running-shoes' });
      assert.equal((await current(b)).id, 'waterproof', 'the copy resumes where the first tab was');
      const elsewhere = /continued in another tab/;
      await a.locator('.status', { hasText: elsewhere }).waitFor({ state: 'visible' });
      await answerWithMouse(b, { waterproof: 'yes' });
      assert.equal((await current(b)).id, 'priorities');

      // The shopper acts in the first tab: it resumes there, from the answer given in the second one.
      await a.locator('[data-current] .chip').first().click();
      await b.locator('.status', { hasText: elsewhere }).waitFor({ state: 'visible' });
      // the first tab continues from the latest answer (its old question goes when the resume is answered)
      await a.locator('[data-current][data-question="priorities"]').waitFor({ state: 'visible' });
      assert.equal((await current(a)).id, 'priorities');
      assert.equal(await a.locator('.status').isHidden(), true, 'the first tab no longer says it moved');
      assert.equal(await a.locator('.msg.err').count(), 0, 'no connection error is shown for the takeover');
      await answerWithMouse(a, { priorities: 'cushioning' });
      await current(a);
    } finally {
      await first.context.close();
      await second?.context.close();
    }
  });

  test('Japanese prices, budgets and intros use one yen format', async () => {
    const { page, context } = await newPage(browser, { locale: 'ja-JP' });
    try {
      const w = await openWidget(page, { flow: 'knives', locale: 'ja' });
      const c = await current(w);
      assert.ok(c.id);
      await completeWithMouse(w, { budget: 30000 });
      const res = w.locator('[data-current][data-kind=products]');
      await res.waitFor();
      const texts = [
        ...(await res.locator('.price').allTextContents()),
        ...(await w.locator('.msg.me').allTextContents()).filter((t) => /\d/.test(t)),
        (await res.locator('.intro').textContent()) || '',
      ];
      const amounts = texts.join(' ').match(/[¥￥]\s?[\d,]+|[\d,]+\s?円/g) || [];
      assert.ok(amounts.length >= 3, `prices and the budget are shown: ${texts}`);
      for (const a of amounts) assert.match(a, /^¥\d{1,3}(,\d{3})*$/, `one yen format: ${a} in ${texts}`);
      assert.ok(texts.some((t) => t.includes('¥30,000')), `the budget reads ¥30,000: ${texts}`);
      await shot(page, 'yen');
    } finally {
      await context.close();
    }
  });

  test('a British page (lang en-GB) writes dollars as the server does: $139.99, Up to $150, never US$', async () => {
    const { page, context } = await newPage(browser, { locale: 'en-GB' });
    // a British shop's page (a real loopback server: Chromium keeps a page Playwright makes up from loopback)
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html lang="en-GB"><title>A British shop</title><main><h1>Trainers</h1></main>' +
        `<script src="${BASE}/widget.js" data-flow="running-shoes" data-open="true" async></script>`);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    try {
      await page.goto(`http://127.0.0.1:${server.address().port}/`);
      const w = widget(page);
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'en-GB');
      const range = await answerUntil(w, 'range');
      assert.equal(range && range.id, 'budget', 'the path asks the budget');
      assert.deepEqual(await range.el.locator('.scale span').allTextContents(), ['$40', '$250'], 'the slider ends');
      assert.equal(await range.el.locator('output').textContent(), 'Up to $150', 'the slider value');
      await completeWithMouse(w, { budget: 150 });
      const res = w.locator('[data-current][data-kind=products]');
      const prices = await res.locator('.price').allTextContents();
      assert.ok(prices.length >= 1);
      for (const p of prices) assert.match(p, /^\$\d{1,3}(,\d{3})*\.\d\d$/, `a card's price: ${p}`);
      assert.ok((await w.locator('.msg.me').allTextContents()).includes('Up to $150'), 'the budget answer reads as the server labels it');
      const intro = await res.locator('.intro').textContent();
      assert.match(intro, /up to \$150\b/, 'the intro (a template with the money filter) writes it the same way');
      const all = [...prices, ...(await w.locator('.msg, .why').allTextContents()), intro].join(' ');
      assert.doesNotMatch(all, /US\$|USD|\$150\.00/, all);
      await shot(page, 'dollars-en-gb');
    } finally {
      await context.close();
      server.closeAllConnections();
      server.close();
    }
  });
});
