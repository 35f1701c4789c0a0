#!/usr/bin/env node
// A documentation tool, not a test: renders Teams messages to PNG with Microsoft's `adaptivecards` library in headless
// Chromium, for docs/FORMATS.md.
//
//   node render-teams-cards.mjs OUT_DIR MESSAGE.json...
//
// writes OUT_DIR/<name of MESSAGE>.png for each message. It uses the system's Chromium (CHROMIUM, default /usr/bin/chromium;
// `apt-get install -y chromium fonts-noto-color-emoji`) through playwright-core, which downloads no browser.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const [outDir, ...files] = process.argv.slice(2);
if (!outDir || files.length === 0) {
  console.error("usage: node render-teams-cards.mjs OUT_DIR MESSAGE.json...");
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });

// A host config close to Teams' light theme.
const hostConfig = {
  fontFamily: "'Segoe UI', 'Liberation Sans', 'DejaVu Sans', 'Noto Color Emoji', sans-serif",
  spacing: { small: 4, default: 8, medium: 16, large: 20, extraLarge: 24, padding: 16 },
  fontSizes: { small: 12, default: 14, medium: 14, large: 18, extraLarge: 24 },
  fontWeights: { lighter: 200, default: 400, bolder: 600 },
  containerStyles: {
    default: { backgroundColor: "#FFFFFF", foregroundColors: teamsColors() },
    emphasis: { backgroundColor: "#F5F5F5", foregroundColors: teamsColors() },
    good: { backgroundColor: "#E7F2DA", foregroundColors: teamsColors() },
    attention: { backgroundColor: "#FCF4F6", foregroundColors: teamsColors() },
    warning: { backgroundColor: "#FBF6D9", foregroundColors: teamsColors() },
    accent: { backgroundColor: "#E2E2F6", foregroundColors: teamsColors() },
  },
  factSet: {
    title: { weight: "Bolder", wrap: true, maxWidth: 150 },
    value: { wrap: true },
    spacing: 8,
  },
  actions: { maxActions: 5, spacing: "Default", buttonSpacing: 8, actionsOrientation: "Horizontal", actionAlignment: "Stretch" },
};

function teamsColors() {
  return {
    default: { default: "#242424", subtle: "#616161" },
    dark: { default: "#252423", subtle: "#484644" },
    light: { default: "#FFFFFF", subtle: "#FFFFFF" },
    accent: { default: "#6264A7", subtle: "#8B8CC7" },
    good: { default: "#237B4B", subtle: "#2E9E62" },
    warning: { default: "#835C00", subtle: "#A37300" },
    attention: { default: "#C4314B", subtle: "#D74654" },
  };
}

const page = `<!doctype html><html><head><meta charset="utf-8"><style>
  body { margin: 0; padding: 24px; background: #F5F5F5; font-family: 'Segoe UI', 'Liberation Sans', sans-serif; }
  #message { width: 520px; background: #FFFFFF; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.2); overflow: hidden; }
  /* Teams breaks a long word (a resource URN) rather than let it run out of the card. */
  .ac-textBlock { overflow-wrap: anywhere !important; }
  .ac-fact-title .ac-textBlock { overflow-wrap: normal !important; white-space: nowrap; }
  .ac-pushButton { font: 600 14px 'Segoe UI', 'Liberation Sans', sans-serif; color: #5B5FC7; background: #FFFFFF;
    border: 1px solid #D1D1D1; border-radius: 4px; padding: 6px 12px; cursor: pointer; }
</style></head><body><div id="message"></div></body></html>`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run"],
});
try {
  const tab = await browser.newPage({ viewport: { width: 600, height: 400 }, deviceScaleFactor: 2 });
  for (const file of files) {
    const message = JSON.parse(fs.readFileSync(file, "utf8"));
    await tab.setContent(page);
    await tab.addScriptTag({ path: require.resolve("adaptivecards/dist/adaptivecards.min.js") });
    const problems = await tab.evaluate(({ card, hostConfig }) => {
      const AC = window.AdaptiveCards;
      const adaptiveCard = new AC.AdaptiveCard();
      adaptiveCard.hostConfig = new AC.HostConfig(hostConfig);
      const context = new AC.SerializationContext(AC.Versions.v1_4);
      adaptiveCard.parse(card, context);
      const events = [];
      for (let i = 0; i < context.eventCount; i++) events.push(context.getEventAt(i).message);
      document.getElementById("message").appendChild(adaptiveCard.render());
      return events;
    }, { card: message.attachments[0].content, hostConfig });
    if (problems.length > 0) throw new Error(`${file}: ${problems.join("; ")}`);
    const out = path.join(outDir, `${path.basename(file, ".json")}.png`);
    await tab.locator("#message").screenshot({ path: out });
    console.log(`wrote ${out}`);
  }
} finally {
  await browser.close();
}
