import { defineConfig } from '@playwright/test';

/** Debian's Chromium, never a downloaded browser (see e2e/fixtures.ts for the server). */
export const CHROMIUM = process.env.TILL_CHROMIUM ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'e2e',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  workers: 1,
  // No retries: a flaky test is a bug in the app or the test, found and fixed, never re-run away.
  retries: 0,
  reporter: [['list']],
  use: {
    launchOptions: {
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
    viewport: { width: 1280, height: 860 },
    serviceWorkers: 'allow',
    trace: 'off',
  },
});
