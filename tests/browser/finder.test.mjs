// The running-shoes finder, end to end: mouse, keyboard, multi-select, slider, back, resume, reconnect.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  PHONE, T, activeInfo, answerUntil, answerWithMouse, assertCards, completeWithMouse, current, demoUrl,
  launch, newPage, openWidget, shot, tabTo, waitFrames, widget,
} from './lib.mjs';

const FLOW = 'running-shoes';
// the trail branch of the shoe finder asks the most questions
const PREFS = { terrain: 'trail' };

describe('running-shoes finder', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('complete it with the mouse: product cards with title, price and why', async () => {
    const { page, rec, context } = await newPage(browser);
    try {
      const w = await openWidget(page, { flow: FLOW });
      const start = await waitFrames(rec, 'sent', (m) => m.type === 'start', 'start');
      assert.equal(start.v, 1);
      assert.equal(start.flow, FLOW);
      const session = await waitFrames(rec, 'received', (m) => m.type === 'session', 'session');
      await assert.doesNotReject(w.locator('h2', { hasText: session.title }).waitFor());
      // progress: "Step 1 of N"
      await w.locator('.prog', { hasText: /Step 1 of \d+/ }).waitFor();
      const answered = await completeWithMouse(w, PREFS);
      assert.ok(answered.length >= 1);
      const { title, price } = await assertCards(w);
      assert.match(price, /^\$\d{1,3}(,\d{3})*\.\d\d$/, 'USD prices like $129.00');
      // the picks were reported as viewed
      const viewed = await waitFrames(rec, 'sent', (m) => m.type === 'event' && m.kind === 'viewed', 'viewed event');
      assert.ok(viewed.product);
      await shot(page, 'mouse-products');
      // the "view product" link sends a clicked event, then navigates
      const card = w.locator('[data-current] .card').first();
      const id = await card.getAttribute('data-product');
      const link = card.locator('a.view');
      const href = await link.getAttribute('href');
      assert.ok(/^https?:\/\//.test(href), 'links are absolute http(s)');
      await Promise.all([page.waitForURL(href, { timeout: T }), link.click()]);
      assert.ok(
        rec.sent.some((m) => m.type === 'event' && m.kind === 'clicked' && m.product === id),
        'clicked event sent before navigating',
      );
      assert.match(title, /\S/);
      assert.deepEqual(rec.errors, []);
    } finally {
      await context.close();
    }
  });

  test('complete it with the keyboard only', async () => {
    const { page, rec, context } = await newPage(browser);
    try {
      await page.goto(demoUrl({ flow: FLOW }));
      const w = widget(page);
      await w.locator('button.launch').waitFor();
      // Tab to the launcher bubble and open it with Enter
      await tabTo(page, (a) => a.inWidget && a.cls.includes('launch'), 'the launcher');
      await page.keyboard.press('Enter');
      await w.locator('[role=dialog]').waitFor({ state: 'visible' });
      for (let i = 0; i < 15; i++) {
        const c = await current(w);
        if (c.kind === 'products') break;
        const answers = rec.sent.filter((m) => m.type === 'answer').length;
        // focus moved to the new question
        await page.waitForFunction(() => {
          let a = document.activeElement;
          while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
          return a && a.matches('[data-current] .q');
        }, null, { timeout: T });
        if (c.kind === 'single' || c.kind === 'yes_no') {
          const want = PREFS[c.id];
          await tabTo(page, (a) => a.cls.includes('chip') && (want == null || a.value === want), 'an option');
          await page.keyboard.press('Enter');
        } else if (c.kind === 'multi') {
          await tabTo(page, (a) => a.cls.includes('chip'), 'an option');
          await page.keyboard.press('Space');
          await tabTo(page, (a) => a.cls.includes('btn') && !a.disabled, 'the confirm button');
          await page.keyboard.press('Enter');
        } else if (c.kind === 'range') {
          await tabTo(page, (a) => a.type === 'range', 'the slider');
          const before = await c.el.locator('input[type=number]').inputValue();
          await page.keyboard.press('ArrowLeft');
          await page.keyboard.press('ArrowLeft');
          const afterV = await c.el.locator('input[type=number]').inputValue();
          assert.ok(Number(afterV) < Number(before), 'arrow keys move the slider and the number follows');
          await tabTo(page, (a) => a.tag === 'button' && a.type === 'submit', 'the confirm button');
          await page.keyboard.press('Enter');
        } else if (c.kind === 'text') {
          await tabTo(page, (a) => a.tag === 'input' && a.type === 'text', 'the text input');
          await page.keyboard.type('trail');
          await page.keyboard.press('Enter');
        } else {
          assert.fail(`unexpected question kind ${c.kind}`);
        }
        await waitFrames(rec, 'sent', () => rec.sent.filter((m) => m.type === 'answer').length > answers, 'an answer');
      }
      await assertCards(w);
      // the results heading takes focus; Escape closes the dialog and focus returns to the launcher
      await page.keyboard.press('Escape');
      await w.locator('[role=dialog]').waitFor({ state: 'hidden' });
      const a = await activeInfo(page);
      assert.ok(a.cls.includes('launch'), 'focus back on the launcher');
      await shot(page, 'keyboard-closed');
    } finally {
      await context.close();
    }
  });

  test('multi-select respects select min/max and sends values', async (t) => {
    const { page, rec, context } = await newPage(browser);
    try {
      const w = await openWidget(page, { flow: FLOW });
      const c = await answerUntil(w, 'multi', PREFS);
      if (!c) {
        t.skip('no multi question on this path of the finder');
        return;
      }
      const q = rec.received.filter((m) => m.type === 'question' && m.id === c.id).at(-1);
      const min = q.select?.min ?? 1;
      const max = q.select?.max ?? q.options.length;
      const chips = c.el.locator('.chip');
      const confirm = c.el.locator('.btn');
      assert.equal(await confirm.isDisabled(), true, 'nothing chosen: confirm disabled');
      const n = await chips.count();
      const picked = [];
      for (let i = 0; i < Math.min(max, n); i++) {
        await chips.nth(i).click();
        picked.push(await chips.nth(i).getAttribute('data-value'));
        assert.equal(await chips.nth(i).getAttribute('aria-pressed'), 'true');
        assert.equal(await confirm.isEnabled(), picked.length >= min);
      }
      if (n > max) {
        assert.equal(await chips.nth(max).isDisabled(), true, 'past max: the other options are disabled');
      }
      // toggling off works
      await chips.first().click();
      assert.equal(await chips.first().getAttribute('aria-pressed'), 'false');
      await chips.first().click();
      await shot(page, 'multi');
      await confirm.click();
      const ans = await waitFrames(rec, 'sent', (m) => m.type === 'answer' && Array.isArray(m.values), 'values');
      assert.deepEqual([...ans.values].sort(), [...picked].sort());
      const next = await current(w);
      assert.notEqual(next.id, c.id, 'the next question came');
    } finally {
      await context.close();
    }
  });

  test('range slider with a typed number and unit', async () => {
    const { page, rec, context } = await newPage(browser);
    try {
      const w = await openWidget(page, { flow: FLOW });
      const c = await answerUntil(w, 'range', PREFS);
      assert.ok(c, 'the shoe finder asks a range question');
      const q = rec.received.filter((m) => m.type === 'question' && m.id === c.id).at(-1);
      const { min, max, step } = q.range;
      const slider = c.el.locator('input[type=range]');
      const num = c.el.locator('input[type=number]');
      assert.ok((await slider.getAttribute('aria-label')).length > 0, 'the slider has a label');
      assert.equal(Number(await slider.getAttribute('min')), min);
      assert.equal(Number(await slider.getAttribute('max')), max);
      // the unit is shown
      if (q.range.unit) await c.el.locator('.unit', { hasText: q.range.unit }).waitFor();
      // typing a number moves the slider
      const typed = min + step * Math.max(1, Math.floor((max - min) / step / 3));
      await num.fill(String(typed));
      assert.equal(Number(await slider.inputValue()), typed);
      // the slider moves the number
      await slider.focus();
      await page.keyboard.press('ArrowRight');
      assert.equal(Number(await num.inputValue()), typed + step);
      await shot(page, 'range');
      await c.el.locator('button[type=submit]').click();
      const ans = await waitFrames(rec, 'sent', (m) => m.type === 'answer' && m.range, 'range answer');
      assert.equal(ans.range.max, typed + step);
      const next = await current(w);
      assert.ok(next.id !== c.id || next.kind === 'products');
    } finally {
      await context.close();
    }
  });

  test('back asks the previous question again', async () => {
    const { page, rec, context } = await newPage(browser);
    try {
      const w = await openWidget(page, { flow: FLOW });
      const first = await current(w);
      assert.equal(await first.el.locator('.ghost', { hasText: 'Back' }).count(), 0, 'no back on the first question');
      await answerWithMouse(w, PREFS);
      const second = await current(w);
      assert.notEqual(second.id, first.id);
      await second.el.locator('.ghost', { hasText: 'Back' }).click();
      await waitFrames(rec, 'sent', (m) => m.type === 'back', 'back');
      const again = await current(w);
      assert.equal(again.id, first.id);
      assert.equal(again.step, first.step);
      await w.locator('.prog', { hasText: `Step ${first.step} of` }).waitFor();
      // and back from the products to the last question
      await completeWithMouse(w, PREFS);
      await assertCards(w);
      const lastQ = rec.received.filter((m) => m.type === 'question').at(-1);
      await w.locator('[data-current] .ghost', { hasText: 'Back' }).click();
      const c = await current(w);
      assert.equal(c.id, lastQ.id, 'back from the picks re-asks the last question');
    } finally {
      await context.close();
    }
  });

  test('restart forgets the answers', async () => {
    const { page, rec, context } = await newPage(browser);
    try {
      const w = await openWidget(page, { flow: FLOW });
      const first = await current(w);
      await answerWithMouse(w, PREFS);
      await current(w);
      await w.locator('.hd button[aria-label="Start over"]').click();
      await waitFrames(rec, 'sent', (m) => m.type === 'restart', 'restart');
      const c = await current(w);
      assert.equal(c.id, first.id);
      assert.equal(await w.locator('.msg.me').count(), 0, 'the transcript starts afresh');
    } finally {
      await context.close();
    }
  });

  test('refresh mid-flow resumes: the same question with its progress', async () => {
    const { page, rec, context } = await newPage(browser);
    try {
      const w = await openWidget(page, { flow: FLOW });
      await answerWithMouse(w, PREFS);
      await answerWithMouse(w, PREFS);
      const before = await current(w);
      const progress = (await w.locator('.prog').textContent()).trim();
      const session = rec.received.find((m) => m.type === 'session');
      rec.sent.length = 0;
      rec.received.length = 0;
      await page.reload();
      const start = await waitFrames(rec, 'sent', (m) => m.type === 'start', 'start after reload');
      assert.equal(start.resume, session.token, 'the stored token is sent as resume');
      const s2 = await waitFrames(rec, 'received', (m) => m.type === 'session', 'session after reload');
      assert.equal(s2.resumed, true);
      const after = await current(w);
      assert.equal(after.id, before.id);
      assert.equal(after.step, before.step);
      assert.equal((await w.locator('.prog').textContent()).trim(), progress);
      await shot(page, 'resumed');
      // and the conversation goes on
      await completeWithMouse(w, PREFS);
      await assertCards(w);
    } finally {
      await context.close();
    }
  });

  test('an unknown resume token starts afresh (bad_resume)', async () => {
    const { page, rec, context } = await newPage(browser);
    try {
      await context.addInitScript((flow) => {
        if (!sessionStorage.getItem('sk-test-seeded')) {
          sessionStorage.setItem('sk-test-seeded', '1');
          sessionStorage.setItem(`shopkeep:${flow}`, 'not-a-real-token');
        }
      }, FLOW);
      const w = await openWidget(page, { flow: FLOW });
      await waitFrames(rec, 'sent', (m) => m.type === 'start' && m.resume === 'not-a-real-token', 'start with bad token');
      await waitFrames(rec, 'received', (m) => m.type === 'error' && m.code === 'bad_resume', 'bad_resume');
      await waitFrames(rec, 'sent', (m) => m.type === 'start' && !('resume' in m), 'a fresh start');
      const c = await current(w);
      assert.equal(c.step, '1');
      assert.equal(await w.locator('.msg.err').count(), 0, 'no error shown for an expired session');
    } finally {
      await context.close();
    }
  });

  test('reconnects after the socket closes and resumes with the token', async () => {
    const { page, rec, context } = await newPage(browser);
    try {
      const w = await openWidget(page, { flow: FLOW });
      await answerWithMouse(w, PREFS);
      const before = await current(w);
      const session = rec.received.find((m) => m.type === 'session');
      await page.evaluate(() => window.Shopkeep.instances[0].ws.close());
      const start = await waitFrames(rec, 'sent', (m) => m.type === 'start' && m.resume, 'a resuming start');
      assert.equal(start.resume, session.token);
      assert.equal(rec.sockets, 2, 'a new socket was opened');
      const after = await current(w);
      assert.equal(after.id, before.id);
      assert.equal(await w.locator(`[data-question="${before.id}"]`).count(), 1, 'the question is not shown twice');
      await completeWithMouse(w, PREFS);
      await assertCards(w);
    } finally {
      await context.close();
    }
  });

  test('relaxed constraints are said plainly', async () => {
    const { page, rec, context } = await newPage(browser);
    try {
      const w = await openWidget(page, { flow: FLOW });
      // green, waterproof trail shoes under $50 do not exist: the finder loosens colour and budget
      await completeWithMouse(w, { terrain: 'trail', waterproof: 'yes', priorities: ['light'], budget: 50, colour: 'green' });
      const products = await waitFrames(rec, 'received', (m) => m.type === 'products', 'products');
      assert.ok(products.relaxed.length > 0, 'the server relaxed something');
      const text = await w.locator('[data-current] .relaxed').textContent();
      assert.match(text, /^We loosened: /);
      for (const r of products.relaxed) assert.ok(text.includes(r.label), `mentions ${r.label}`);
      await w.locator('[data-current] .relaxed').scrollIntoViewIfNeeded();
      await shot(page, 'relaxed');
    } finally {
      await context.close();
    }
  });

  test('skip and "show results now" appear only when allowed and work', async () => {
    const { page, rec, context } = await newPage(browser);
    try {
      const w = await openWidget(page, { flow: FLOW });
      const skip = (c) => c.el.locator('.ghost', { hasText: /^Skip$/ });
      const now = (c) => c.el.locator('.ghost', { hasText: 'Show results now' });
      for (let i = 0; i < 12; i++) {
        const c = await current(w);
        assert.notEqual(c.kind, 'products', 'a skippable question comes before the picks');
        const q = rec.received.filter((m) => m.type === 'question').at(-1);
        assert.equal(await skip(c).count(), q.can_skip ? 1 : 0, `skip shown iff can_skip (${c.id})`);
        assert.equal(await now(c).count(), q.can_results_now ? 1 : 0, `results now shown iff can_results_now (${c.id})`);
        if (q.can_skip) {
          await skip(c).click();
          await waitFrames(rec, 'sent', (m) => m.type === 'skip', 'skip');
          break;
        }
        await answerWithMouse(w, PREFS);
      }
      const c = await current(w);
      if (c.kind !== 'products') {
        const q = rec.received.filter((m) => m.type === 'question').at(-1);
        assert.ok(q.can_results_now, 'results now is offered after enough answers');
        await now(c).click();
        await waitFrames(rec, 'sent', (m) => m.type === 'results_now', 'results_now');
      }
      await assertCards(w);
    } finally {
      await context.close();
    }
  });

  test('typed answers: understood words answer; a hint, then buttons, when not understood', async () => {
    const { page, rec, context } = await newPage(browser);
    try {
      const w = await openWidget(page, { flow: FLOW });
      const input = w.locator('form.comp input');
      const first = await current(w);
      await input.fill('mountains');
      await input.press('Enter');
      await waitFrames(rec, 'sent', (m) => m.type === 'answer' && m.text === 'mountains', 'a text answer');
      const second = await current(w);
      assert.notEqual(second.id, first.id, 'the typed answer was understood');
      await w.locator('.msg.me', { hasText: 'mountains' }).waitFor();
      await input.fill('purple elephants');
      await input.press('Enter');
      const hinted = await waitFrames(rec, 'received', (m) => m.type === 'question' && m.hint, 'a hint');
      await w.locator('[data-current] .hint', { hasText: hinted.hint }).waitFor();
      assert.equal((await current(w)).id, second.id, 'the same question again');
      await input.fill('more elephants');
      await input.press('Enter');
      await waitFrames(rec, 'received', (m) => m.type === 'question' && m.offer_buttons, 'offer_buttons');
      const c = await current(w);
      assert.ok((await c.el.locator('.chip').count()) > 0, 'buttons are offered');
      await shot(page, 'typed-hint');
    } finally {
      await context.close();
    }
  });

  test('a server error is shown politely and the conversation goes on', async () => {
    const { page, rec, context } = await newPage(browser);
    try {
      const w = await openWidget(page, { flow: FLOW });
      const c = await current(w);
      // the first question cannot be skipped: ask anyway, as a confused client would
      await page.evaluate(() => window.Shopkeep.instances[0].raw({ type: 'skip' }));
      await waitFrames(rec, 'received', (m) => m.type === 'error' && m.code === 'not_allowed', 'not_allowed');
      const err = w.locator('.msg.err');
      await err.waitFor();
      assert.match(await err.textContent(), /^Sorry/);
      assert.doesNotMatch(await err.textContent(), /not_allowed|skipped\./, 'no raw codes');
      await answerWithMouse(w, PREFS);
      assert.notEqual((await current(w)).id, c.id, 'still works');
    } finally {
      await context.close();
    }
  });

  test('phone-sized viewport: full-screen panel, products', async () => {
    const { page, context } = await newPage(browser, { viewport: PHONE });
    try {
      const w = await openWidget(page, { flow: FLOW });
      const box = await w.locator('[role=dialog]').boundingBox();
      assert.ok(box.width >= PHONE.width - 1 && box.height >= PHONE.height - 1, 'the panel fills the screen');
      await shot(page, 'phone-question');
      await completeWithMouse(w, PREFS);
      await assertCards(w);
      await shot(page, 'phone-products');
    } finally {
      await context.close();
    }
  });
});
