// Mailpit's published npm client (`mailpit-api`), unchanged, against our sink: send, read
// state, tags, info, chaos and release. Run by tests/it/npm.rs:
//   node mailpit-api.mjs <sink URL>   with MAILPIT_API_DIR = the npm prefix it is installed in
// and SINK_RELAY_TO = the address to release to. Prints one line per call; any failure
// throws (exit code 1).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(join(process.env.MAILPIT_API_DIR, "index.js"));
const { MailpitClient } = require("mailpit-api");
const mailpit = new MailpitClient(process.argv[2]);
const step = (name) => console.log(`ok ${name}`);

// Send: Mailpit's JSON, answered with the new message's ID.
const sent = await mailpit.sendMessage({
  From: { Email: "app@example.com", Name: "App" },
  To: [{ Email: "alice+signup@example.com", Name: "Alice" }],
  Subject: "Welcome from npm",
  Text: "Your verification code is 482913",
  Tags: ["npm"],
});
assert.equal(typeof sent.ID, "string");
const msg = await mailpit.getMessageSummary(sent.ID);
assert.equal(msg.Subject, "Welcome from npm");
assert.deepEqual(msg.Tags, ["npm", "signup"]);
step("sendMessage");

// Read state: getMessageSummary marked the first read, the second is unread.
const other = await mailpit.sendMessage({
  From: { Email: "app@example.com" },
  To: [{ Email: "bob@example.com" }],
  Subject: "Second",
});
let list = await mailpit.listMessages();
assert.equal(list.unread, 1);
assert.equal(await mailpit.setReadStatus({ IDs: [sent.ID], Read: false }), "ok");
list = await mailpit.listMessages();
assert.equal(list.unread, 2);
assert.equal(list.messages.find((m) => m.ID === sent.ID).Read, false);
assert.equal(await mailpit.setReadStatus({ Search: "subject:npm", Read: true }), "ok");
list = await mailpit.listMessages();
assert.equal(list.unread, 1);
assert.equal(list.messages.find((m) => m.ID === other.ID).Read, false);
assert.equal(await mailpit.setReadStatus({ Read: true }), "ok");
assert.equal((await mailpit.listMessages()).unread, 0);
await mailpit.setReadStatus();
assert.equal((await mailpit.listMessages()).unread, 2);
step("setReadStatus");

// Tags.
assert.deepEqual(await mailpit.getTags(), ["npm", "signup"]);
assert.equal(await mailpit.setTags({ IDs: [sent.ID], Tags: ["Tag 1", "Tag 2"] }), "ok");
assert.deepEqual(await mailpit.getTags(), ["Tag 1", "Tag 2"]);
assert.equal(await mailpit.renameTag("Tag 1", "Renamed tag"), "ok");
assert.deepEqual(await mailpit.getTags(), ["Renamed tag", "Tag 2"]);
assert.equal(await mailpit.deleteTag("Tag 2"), "ok");
const tagged = await mailpit.searchMessages({ query: 'tag:"Renamed tag"' });
assert.equal(tagged.messages_count, 1);
assert.deepEqual(tagged.messages[0].Tags, ["Renamed tag"]);
assert.equal(await mailpit.setTags({ IDs: [sent.ID] }), "ok");
assert.deepEqual(await mailpit.getTags(), []);
step("tags");

// Info and the web UI's configuration.
const info = await mailpit.getInfo();
assert.equal(info.Messages, 2);
assert.equal(info.Unread, 2);
assert.equal(info.RuntimeStats.SMTPAccepted, 2);
assert.equal(typeof info.Version, "string");
const config = await mailpit.getConfiguration();
assert.equal(config.MessageRelay.Enabled, true);
step("getInfo getConfiguration");

// Chaos.
const triggers = await mailpit.setChaosTriggers({ Sender: { ErrorCode: 451, Probability: 5 } });
assert.deepEqual(triggers.Sender, { ErrorCode: 451, Probability: 5 });
assert.equal((await mailpit.getChaosTriggers()).Recipient.Probability, 0);
assert.equal((await mailpit.setChaosTriggers()).Sender.Probability, 0);
step("chaos");

// Release to the relay the sink was started with.
assert.equal(await mailpit.releaseMessage(sent.ID, { To: [process.env.SINK_RELAY_TO] }), "ok");
step("releaseMessage");
