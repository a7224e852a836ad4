// Opens a page in headless Chromium and prints, as JSON, what its
// window.result promise settles with.
//
// Usage: node open-page.js URL SPKI_HASHES
//
// SPKI_HASHES is a comma-separated list of base64 SHA-256 hashes of the
// public keys that Chromium should accept TLS certificates for, such as
// that of the intermediate certificate of Caddy's local CA. Chromium then
// trusts exactly those keys instead of ignoring all certificate errors.
const { chromium } = require("playwright-core");

const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

async function main() {
  const [url, spkiHashes] = process.argv.slice(2);
  if (!url || !spkiHashes) {
    throw new Error("usage: node open-page.js URL SPKI_HASHES");
  }

  // playwright-core gives the browser a fresh temporary profile
  // (--user-data-dir).
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--ignore-certificate-errors-spki-list=" + spkiHashes,
    ],
  });
  try {
    const page = await browser.newPage();
    const consoleMessages = [];
    page.on("console", (message) => consoleMessages.push(message.text()));
    await page.goto(url, { timeout: 15000 });
    // A page that never settles, for example because the browser waits
    // for a login dialog, fails here instead of hanging the test.
    const result = await page.evaluate(
      (timeout) =>
        Promise.race([
          window.result,
          new Promise((resolve) =>
            setTimeout(() => resolve({ error: "timed out waiting for window.result" }), timeout),
          ),
        ]),
      15000,
    );
    process.stdout.write(JSON.stringify({ ...result, console: consoleMessages }) + "\n");
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  process.stderr.write(String(error.stack || error) + "\n");
  process.exit(1);
});
