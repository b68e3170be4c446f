import { launch } from './e2e/browser.mjs';
const { context, close } = await launch();
const page = context.pages()[0] ?? (await context.newPage());
const url = process.argv[2];
const t0 = Date.now();
await page.goto(url);
await page.waitForFunction(() => window.__livingMap?.renderer?.stats?.frames > 0, undefined, { timeout: 120000 });
console.log('first frame after', Date.now() - t0, 'ms');
for (const layer of ['city', 'space', 'nodes', 'agents']) {
  await page.click(`[data-layer=${layer}]`);
  await page.waitForTimeout(2500);
  await page.screenshot({ path: `/tmp/shots/${layer}-fit.png` });
  const box = await page.locator('[data-testid=map-canvas]').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let i = 0; i < 8; i++) await page.mouse.wheel(0, -300);
  await page.waitForTimeout(2000);
  await page.screenshot({ path: `/tmp/shots/${layer}-zoom.png` });
}
await close();
