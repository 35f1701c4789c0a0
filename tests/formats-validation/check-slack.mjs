#!/usr/bin/env node
// Checks Slack messages with Slack's own types and against Slack's documented Block Kit limits.
//
//   node check-slack.mjs DIR
//
// Every *.json file in DIR must (1) type-check, under `tsc --strict`, as an `IncomingWebhookSendArguments` of
// @slack/webhook whose blocks are `KnownBlock`s of @slack/types (so no unknown block type or property gets through), and
// (2) keep within the limits of https://docs.slack.dev/reference/block-kit (block count, text lengths, field counts, URL
// lengths) with mrkdwn escaped (no raw "<", "&" only as &amp; &lt; &gt;, ">" only to open a quote line).
// Exits 0 when every file passes, 1 with the reasons otherwise.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = process.argv[2];
if (!dir) {
  console.error("usage: node check-slack.mjs DIR");
  process.exit(2);
}

const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
if (files.length === 0) {
  console.error(`no *.json files in ${dir}`);
  process.exit(1);
}

const messages = files.map((file) => ({ file, message: JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) }));
const problems = [...typeProblems(messages), ...messages.flatMap(({ file, message }) => limitProblems(message).map((p) => `${file}: ${p}`))];

if (problems.length > 0) {
  console.error(`${problems.length} problem(s) in ${files.length} Slack message(s):`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log(`${files.length} Slack message(s) are valid IncomingWebhookSendArguments within Slack's limits`);

/** Writes one TypeScript file declaring every message with Slack's types and runs tsc --strict --noEmit on it. */
function typeProblems(messages) {
  const module = (name) => JSON.stringify(path.join(here, "node_modules", name));
  const lines = [
    `import type { IncomingWebhookSendArguments } from ${module("@slack/webhook")};`,
    `import type { KnownBlock } from ${module("@slack/types")};`,
    "// The official type also allows any { type: string } as a block; KnownBlock does not.",
    `type StrictMessage = Omit<IncomingWebhookSendArguments, "blocks"> & { blocks?: KnownBlock[] };`,
    "",
  ];
  const owners = [];
  messages.forEach(({ file, message }, i) => {
    const first = lines.length + 1;
    lines.push(`// ${file}`, ...`const m${i}: StrictMessage = ${JSON.stringify(message, null, 2)};`.split("\n"));
    lines.push(`const s${i}: IncomingWebhookSendArguments = m${i};`, `void s${i};`, "");
    owners.push({ file, first, last: lines.length });
  });

  const work = fs.mkdtempSync(path.join(os.tmpdir(), "slack-types-"));
  const source = path.join(work, "messages.ts");
  fs.writeFileSync(source, lines.join("\n"));
  try {
    execFileSync(process.execPath, [
      path.join(here, "node_modules", "typescript", "bin", "tsc"),
      "--strict", "--noEmit", "--target", "es2022", "--lib", "es2022",
      "--module", "preserve", "--moduleResolution", "bundler", "--types", "node", "--skipLibCheck",
      source,
    ], { cwd: here, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return [];
  } catch (error) {
    const output = `${error.stdout ?? ""}${error.stderr ?? ""}`.trim() || String(error);
    return output.split("\n").map((line) => {
      const at = /messages\.ts\((\d+),\d+\)/.exec(line);
      const owner = at && owners.find((o) => o.first <= Number(at[1]) && Number(at[1]) <= o.last);
      const message = line.replace(/^.*messages\.ts\((\d+),(\d+)\)/, "line $1:$2");
      return owner ? `${owner.file}: tsc: ${message}` : `tsc: ${message}`;
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Slack's documented limits and escaping rules; returns what breaks them. */
function limitProblems(message) {
  const problems = [];
  const problem = (where, what) => problems.push(`${where}: ${what}`);

  if (typeof message.text !== "string" || message.text.length === 0) problem("text", "missing (it is the notification's fallback)");
  else {
    if (message.text.length > 40000) problem("text", `${message.text.length} characters, more than 40000`);
    if (/[\r\n]/.test(message.text)) problem("text", "is not one line");
    checkMrkdwn("text", message.text, problem);
  }

  const blocks = message.blocks;
  if (!Array.isArray(blocks) || blocks.length === 0) {
    problem("blocks", "missing");
    return problems;
  }
  if (blocks.length > 50) problem("blocks", `${blocks.length} blocks, more than 50`);

  blocks.forEach((block, i) => {
    const at = `blocks[${i}] (${block.type})`;
    if (block.block_id !== undefined && block.block_id.length > 255) problem(at, "block_id longer than 255");
    switch (block.type) {
      case "header":
        checkText(`${at}.text`, block.text, 150, ["plain_text"], problem);
        break;
      case "section":
        if (block.text === undefined && block.fields === undefined) problem(at, "has neither text nor fields");
        if (block.text !== undefined) checkText(`${at}.text`, block.text, 3000, ["plain_text", "mrkdwn"], problem);
        if (block.fields !== undefined) {
          if (!Array.isArray(block.fields) || block.fields.length === 0 || block.fields.length > 10) {
            problem(`${at}.fields`, "must hold 1 to 10 items");
          } else {
            block.fields.forEach((f, j) => checkText(`${at}.fields[${j}]`, f, 2000, ["plain_text", "mrkdwn"], problem));
          }
        }
        if (block.accessory?.type === "button") checkButton(`${at}.accessory`, block.accessory, problem);
        break;
      case "context":
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10) {
          problem(`${at}.elements`, "must hold 1 to 10 items");
          break;
        }
        block.elements.forEach((e, j) => {
          if (e.type === "image") {
            checkUrl(`${at}.elements[${j}].image_url`, e.image_url, problem);
            if (typeof e.alt_text !== "string" || e.alt_text.length === 0 || e.alt_text.length > 2000) {
              problem(`${at}.elements[${j}].alt_text`, "must be 1 to 2000 characters");
            }
          } else {
            checkText(`${at}.elements[${j}]`, e, 3000, ["plain_text", "mrkdwn"], problem);
          }
        });
        break;
      case "actions":
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25) {
          problem(`${at}.elements`, "must hold 1 to 25 items");
          break;
        }
        block.elements.forEach((e, j) => {
          if (e.type === "button") checkButton(`${at}.elements[${j}]`, e, problem);
        });
        break;
      case "divider":
        break;
      default:
        problem(at, "a block type this check does not know; add its limits here");
    }
  });
  return problems;
}

function checkButton(at, button, problem) {
  checkText(`${at}.text`, button.text, 75, ["plain_text"], problem);
  if (button.url !== undefined) checkUrl(`${at}.url`, button.url, problem);
  if (button.value !== undefined && button.value.length > 2000) problem(`${at}.value`, "longer than 2000");
  if (button.action_id !== undefined && button.action_id.length > 255) problem(`${at}.action_id`, "longer than 255");
}

function checkUrl(at, url, problem) {
  if (typeof url !== "string" || url.length === 0) return problem(at, "missing");
  if (url.length > 3000) problem(at, `${url.length} characters, more than 3000`);
  if (!/^https?:\/\/[^\s]+$/.test(url)) problem(at, `not an absolute http(s) URL: ${url.slice(0, 80)}`);
}

function checkText(at, text, max, types, problem) {
  if (typeof text !== "object" || text === null) return problem(at, "not a text object");
  if (!types.includes(text.type)) problem(at, `type ${text.type}, expected ${types.join(" or ")}`);
  if (typeof text.text !== "string" || text.text.length === 0) return problem(at, "empty text");
  if (text.text.length > max) problem(at, `${text.text.length} characters, more than ${max}`);
  if (text.type === "mrkdwn") checkMrkdwn(at, text.text, problem);
}

/** Slack reserves <, > and & in mrkdwn: our messages use no links or mentions, so "<" never appears raw. */
function checkMrkdwn(at, text, problem) {
  if (text.includes("<")) problem(at, `raw "<" in mrkdwn: ${excerpt(text, "<")}`);
  const ampersand = /&(?!amp;|lt;|gt;)/.exec(text);
  if (ampersand) problem(at, `unescaped "&" in mrkdwn: ${excerpt(text, "&", ampersand.index)}`);
  const lines = text.split("\n");
  for (const line of lines) {
    if (line.slice(1).includes(">")) problem(at, `raw ">" inside a line of mrkdwn: ${excerpt(line, ">", line.indexOf(">", 1))}`);
  }
}

function excerpt(text, what, index = text.indexOf(what)) {
  return JSON.stringify(text.slice(Math.max(0, index - 20), index + 20));
}
