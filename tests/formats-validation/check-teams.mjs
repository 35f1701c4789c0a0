#!/usr/bin/env node
// Checks Microsoft Teams messages with Microsoft's own Adaptive Cards library.
//
//   node check-teams.mjs DIR
//
// Every *.json file in DIR must be a Teams workflow-webhook message ({"type":"message","attachments":[one Adaptive Card
// attachment]}) whose card is version 1.4 and parses with the `adaptivecards` package — at target version 1.4 — with no
// parse event and no validation event: these are the errors and warnings the library collects (unknown element or
// action types, invalid enum values, properties newer than 1.4, missing required properties, empty collections…).
// The card must also survive a round trip through the library unchanged, so a property it does not know (which it would
// otherwise drop without a word) counts as a problem too. Exits 0 when every file passes, 1 with the reasons otherwise.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";

// The package's ES modules are written for bundlers; its UMD bundle runs in Node as it is, without a DOM for parsing.
const AC = createRequire(import.meta.url)("adaptivecards/dist/adaptivecards.min.js");

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node check-teams.mjs DIR");
  process.exit(2);
}

const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
if (files.length === 0) {
  console.error(`no *.json files in ${dir}`);
  process.exit(1);
}

const problems = files.flatMap((file) =>
  cardProblems(JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"))).map((p) => `${file}: ${p}`));

if (problems.length > 0) {
  console.error(`${problems.length} problem(s) in ${files.length} Teams message(s):`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log(`${files.length} Teams message(s) parse with adaptivecards ${AC.Versions.latest} support at version 1.4, no errors or warnings`);

function cardProblems(message) {
  const problems = [];
  if (message.type !== "message") problems.push(`type is ${JSON.stringify(message.type)}, expected "message"`);
  if (!Array.isArray(message.attachments) || message.attachments.length !== 1) {
    problems.push("attachments must hold exactly one card");
    return problems;
  }
  const attachment = message.attachments[0];
  if (attachment.contentType !== "application/vnd.microsoft.card.adaptive") {
    problems.push(`contentType is ${JSON.stringify(attachment.contentType)}`);
  }
  if (!("contentUrl" in attachment) || attachment.contentUrl !== null) problems.push("contentUrl must be null");
  const content = attachment.content;
  if (typeof content !== "object" || content === null) {
    problems.push("content is not a card");
    return problems;
  }
  if (content.type !== "AdaptiveCard") problems.push(`content.type is ${JSON.stringify(content.type)}`);
  if (content.version !== "1.4") problems.push(`version is ${JSON.stringify(content.version)}, expected "1.4"`);
  if (content.$schema !== "http://adaptivecards.io/schemas/adaptive-card.json") problems.push("$schema is not the Adaptive Card schema");

  const context = new AC.SerializationContext(AC.Versions.v1_4);
  const card = new AC.AdaptiveCard();
  card.parse(content, context);
  for (let i = 0; i < context.eventCount; i++) problems.push(describe(context.getEventAt(i)));
  for (const event of card.validateProperties().validationEvents) problems.push(describe(event));
  if (card.version?.toString() !== "1.4") problems.push(`the library read version ${card.version}`);
  if (card.getItemCount() === 0) problems.push("the card has no body");

  const roundTrip = card.toJSON(new AC.SerializationContext(AC.Versions.v1_4));
  for (const difference of differences(content, roundTrip, "content")) {
    problems.push(`round trip through the library changes ${difference} (a property it does not know?)`);
  }

  for (let i = 0; i < card.getActionCount(); i++) {
    const action = card.getActionAt(i);
    if (action instanceof AC.OpenUrlAction && !/^https?:\/\//.test(action.url ?? "")) {
      problems.push(`Action.OpenUrl without an http(s) url: ${action.url}`);
    }
  }
  return problems;
}

function describe(event) {
  return `${AC.ValidationPhase[event.phase]} ${AC.ValidationEvent[event.event]}: ${event.message}`;
}

/** Where two JSON values differ, as paths with both values; key order does not count. */
function differences(ours, theirs, at) {
  if (isDeepStrictEqual(ours, theirs)) return [];
  const bothObjects = [ours, theirs].every((v) => typeof v === "object" && v !== null && !Array.isArray(v));
  const bothArrays = Array.isArray(ours) && Array.isArray(theirs);
  if (bothArrays && ours.length === theirs.length) {
    return ours.flatMap((v, i) => differences(v, theirs[i], `${at}[${i}]`));
  }
  if (bothObjects) {
    const keys = [...new Set([...Object.keys(ours), ...Object.keys(theirs)])];
    return keys.flatMap((k) => differences(ours[k], theirs[k], `${at}.${k}`));
  }
  return [`${at}: ours ${short(ours)}, library ${short(theirs)}`];
}

function short(value) {
  const text = value === undefined ? "(missing)" : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
