'use strict';
// Which Chromium the browser tests (ui/test/) launch, decided here and nowhere else. The suite must pass on a
// machine that has only Java 17 and Node 20: no root to install Debian's chromium, and no browser download
// (playwright-core never downloads one, and this network refuses such downloads anyway). So `npm ci` brings
// @sparticuz/chromium, a headless Chromium shipped inside the npm package itself, as the fallback.
// Preference: CHROMIUM (an explicit path) > Debian's /usr/bin/chromium when installed (nothing to unpack) >
// the packaged one. CHROMIUM_SYSTEM=none skips Debian's, to prove the fallback on a machine that has both.
// npm warns that @sparticuz/chromium 153 wants Node 22: its unpacking needs only node:zlib and tar-fs, and the
// browser tests pass with it on Node 20.
const fs = require('fs');
const os = require('os');
const path = require('path');

const DEBIAN_CHROMIUM = '/usr/bin/chromium';

// The same flags whichever Chromium is found. As root (CI, this machine) Chromium only starts without its
// sandbox; without the networking flags it keeps trying to reach Google's hosts, which this closed network
// refuses, many connections at a time. The packaged Chromium's own recommended flags (its `args`) are left out on
// purpose: they are made for AWS Lambda, and some switch off what the tests prove the pages rely on
// (--disable-web-security, --disable-site-isolation-trials, --allow-running-insecure-content) or run every page
// in one process (--single-process), unlike a user's browser. It runs the browser tests without them.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** @returns {Promise<{executablePath: string, args: string[], headless: true}>} to spread into playwright-core's launch options */
async function chromiumForTests() {
  const found = await executablePath();
  console.log('# chromium: ' + found); // in the test output, so a failure says which browser it was
  return { executablePath: found, args: ARGS, headless: true };
}

async function executablePath() {
  if (process.env.CHROMIUM) {
    return process.env.CHROMIUM;
  }
  if (process.env.CHROMIUM_SYSTEM !== 'none' && isExecutable(DEBIAN_CHROMIUM)) {
    return DEBIAN_CHROMIUM;
  }
  return unpackPackagedChromium();
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The package unpacks into os.tmpdir() and afterwards trusts whatever `chromium` it finds there, even one cut
 * short by a killed run or left by another version. So it unpacks into a fresh folder that is renamed, whole,
 * to one named after the package's version: a folder of that name is always complete and of that version.
 */
async function unpackPackagedChromium() {
  const packageJson = path.join(path.dirname(require.resolve('@sparticuz/chromium')), '..', 'package.json');
  const { version } = JSON.parse(fs.readFileSync(packageJson, 'utf8'));
  const home = path.join(os.tmpdir(), 'pact-sparticuz-chromium-' + version);
  if (!fs.existsSync(home)) {
    const { default: packaged } = await import('@sparticuz/chromium'); // an ES module only
    const staging = fs.mkdtempSync(home + '-unpacking-');
    try {
      await withTmpdir(staging, () => packaged.executablePath());
      fs.renameSync(staging, home);
    } catch (e) {
      if (!fs.existsSync(home)) {
        throw e;
      } // else another run unpacked the same version meanwhile: use its folder
    } finally {
      fs.rmSync(staging, { recursive: true, force: true }); // still there if unpacking failed or another run was first
    }
  }
  return path.join(home, 'chromium');
}

/** os.tmpdir() reads TMPDIR at every call, so what runs in between sees `dir` as the temporary folder. */
async function withTmpdir(dir, action) {
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return await action();
  } finally {
    if (previous === undefined) {
      delete process.env.TMPDIR;
    } else {
      process.env.TMPDIR = previous;
    }
  }
}

module.exports = { chromiumForTests };
