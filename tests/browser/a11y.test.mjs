// Accessibility: axe-core on the open widget (a question, the products), names, dialog, reduced motion.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  answerUntil, assertCards, axe, completeWithMouse, current, demoUrl, fmtViolations, launch, newPage, openWidget,
  shot,
} from './lib.mjs';

describe('accessibility', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('axe: no serious or critical violations with a question, a multi, a range, and the products', async () => {
    const { page, context } = await newPage(browser);
    try {
      const w = await openWidget(page, { flow: 'running-shoes' });
      await current(w);
      let v = await axe(page);
      assert.deepEqual(v, [], `question:\n${fmtViolations(v)}`);
      await shot(page, 'a11y-question');
      if (await answerUntil(w, 'multi', { terrain: 'trail' })) {
        await w.locator('[data-current] .chip').first().click();
        v = await axe(page);
        assert.deepEqual(v, [], `multi:\n${fmtViolations(v)}`);
      }
      if (await answerUntil(w, 'range', { terrain: 'trail' })) {
        v = await axe(page);
        assert.deepEqual(v, [], `range:\n${fmtViolations(v)}`);
      }
      await completeWithMouse(w, { terrain: 'trail' });
      await assertCards(w);
      v = await axe(page);
      assert.deepEqual(v, [], `products:\n${fmtViolations(v)}`);
      await shot(page, 'a11y-products');
    } finally {
      await context.close();
    }
  });

  test('axe: the Japanese knives finder and the inline finder', async () => {
    const { page, context } = await newPage(browser, { locale: 'ja-JP' });
    try {
      const w = await openWidget(page, { flow: 'knives', locale: 'ja' });
      await current(w);
      let v = await axe(page);
      assert.deepEqual(v, [], `knives question:\n${fmtViolations(v)}`);
      await completeWithMouse(w);
      await assertCards(w, { price: /[¥￥]/ });
      v = await axe(page);
      assert.deepEqual(v, [], `knives products:\n${fmtViolations(v)}`);
    } finally {
      await context.close();
    }
    const p2 = await newPage(browser);
    try {
      await p2.page.goto(demoUrl({ inline: 'backpacks' }));
      const inl = p2.page.locator('#inline-finder');
      await current(inl);
      const v = await axe(p2.page, '#inline-finder');
      assert.deepEqual(v, [], `inline:\n${fmtViolations(v)}`);
      // the demo page as a whole, too
      const all = await axe(p2.page, 'body');
      assert.deepEqual(all, [], `demo page:\n${fmtViolations(all)}`);
    } finally {
      await p2.context.close();
    }
  });

  test('the whole shop page with the widget open: no axe violation of any impact (no second banner landmark)', async () => {
    const { page, context } = await newPage(browser);
    try {
      const w = await openWidget(page, { flow: 'knives', locale: 'ja' });
      await current(w);
      assert.ok(await page.locator('header').count(), 'the shop page has its own banner');
      const all = () => page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
      });
      await axe(page); // loads axe-core into the page
      assert.deepEqual(await all(), [], 'with a question');
      await completeWithMouse(w);
      await w.locator('[data-current][data-kind=products]').waitFor();
      assert.deepEqual(await all(), [], 'with the picks');
    } finally {
      await context.close();
    }
  });

  test('the panel is a labelled dialog; every control has an accessible name; messages are announced', async () => {
    const { page, context } = await newPage(browser);
    try {
      await page.goto(demoUrl({ flow: 'running-shoes' }));
      const w = page.locator('#shopkeep-widget');
      const launcher = w.locator('button.launch');
      assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
      assert.ok((await launcher.getAttribute('aria-label')).length > 0);
      await launcher.click();
      assert.equal(await launcher.getAttribute('aria-expanded'), 'true');
      const dialog = page.getByRole('dialog', { name: /finder|assistant/i });
      await dialog.waitFor();
      const c = await current(w);
      // focus went to the question
      assert.equal(await c.el.locator('.q').evaluate((e) => e === e.getRootNode().activeElement), true);
      // the live region announces the question
      await page.waitForFunction(() => {
        const r = document.querySelector('#shopkeep-widget').shadowRoot.querySelector('[aria-live=polite][aria-atomic]');
        return r && r.textContent.length > 0;
      });
      const unnamed = await page.evaluate(() => {
        const root = document.querySelector('#shopkeep-widget').shadowRoot;
        return [...root.querySelectorAll('button, input, a[href]')]
          .filter((e) => {
            if (e.getAttribute('aria-label') || e.getAttribute('aria-labelledby')) return false;
            if (e.tagName !== 'INPUT' && e.textContent.trim()) return false;
            if (e.id && root.querySelector(`label[for="${e.id}"]`)) return false;
            return true;
          })
          .map((e) => e.outerHTML.slice(0, 80));
      });
      assert.deepEqual(unnamed, [], 'controls without an accessible name');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
    } finally {
      await context.close();
    }
  });

  test('prefers-reduced-motion turns animations off', async () => {
    const { page, context } = await newPage(browser, { reducedMotion: 'reduce' });
    try {
      const w = await openWidget(page, { flow: 'running-shoes' });
      const c = await current(w);
      const anim = await c.el.locator('.q').evaluate((e) => getComputedStyle(e).animationName);
      assert.equal(anim, 'none');
    } finally {
      await context.close();
    }
    const p2 = await newPage(browser, { reducedMotion: 'no-preference' });
    try {
      const w = await openWidget(p2.page, { flow: 'running-shoes' });
      const c = await current(w);
      const anim = await c.el.locator('.q').evaluate((e) => getComputedStyle(e).animationName);
      assert.notEqual(anim, 'none');
    } finally {
      await p2.context.close();
    }
  });
});
