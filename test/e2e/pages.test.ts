import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumOrSkip, launchChromium } from '../support/chromium.ts';
import type { Engine } from '../support/databases.ts';
import { type RunningAs, startAuthorizationServer } from '../support/start-authorization-server.ts';

const ENGINE: Engine = 'sqlite';
const PASSWORD = 'correct horse battery';

/** How the hosted pages lay out in a real browser: what is hidden, where errors and focus land. */
describe(`the hosted pages' layout in headless Chromium (${ENGINE})`, () => {
  let browser: Browser | undefined;
  let as: RunningAs | undefined;
  let context: BrowserContext | undefined;

  before(async function () {
    const executablePath = chromiumOrSkip(this);
    browser = await launchChromium(executablePath);
    as = await startAuthorizationServer(ENGINE);
  });
  after(async () => {
    await browser?.close();
    await as?.close();
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  async function signIn(username: string): Promise<Page> {
    const server = as as RunningAs;
    await server.addUser(username, PASSWORD);
    context = await (browser as Browser).newContext();
    const page = await context.newPage();
    await page.goto(`${server.issuer}/account`);
    await page.getByLabel('Username', { exact: true }).fill(username);
    const password = page.getByLabel('Password', { exact: true });
    await password.fill(PASSWORD);
    await password.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Connected apps' }).waitFor();
    return page;
  }

  it('Change password: the hidden username field for password managers is not shown', async () => {
    const page = await signIn('hidden-field');
    await page.goto(`${(as as RunningAs).issuer}/account/password`);
    const username = page.locator('input[name="username"]');
    expect(await username.count()).to.equal(1);
    expect(await username.inputValue()).to.equal('hidden-field');
    expect(await username.isVisible()).to.equal(false);
    expect(
      await username.evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).display),
    ).to.equal('none');
  });
});
