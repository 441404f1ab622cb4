// A conversation engine: fire one connection, await its Result (CVar update).
// node dist/engine.js EVENT.json   (NATS_URL: the hookworker fleet's NATS)
import { readFileSync } from "node:fs";
import { connect, createInbox, JSONCodec } from "nats";
import type { ConnectionFired } from "./event.js";
import type { Result } from "./result.js";

const event = JSON.parse(readFileSync(process.argv[2], "utf8")) as ConnectionFired;
const nc = await connect({ servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222" });
try {
  // 1. Subscribe FIRST, on a fresh inbox named as the event's reply_to: where no
  //    stream captures it, the Result is a core NATS message to whoever listens.
  event.reply_to = createInbox();
  const sub = nc.subscribe(event.reply_to, { max: 1, timeout: 30_000 });

  // 2. Publish with JetStream, Nats-Msg-Id = the event id (JetStream drops a
  //    duplicate). The PubAck only says the event is stored: it is not the Result.
  const subject = `connections.fired.${event.bot_id}`;
  await nc.jetstream().publish(subject, JSONCodec<ConnectionFired>().encode(event), { msgID: event.id });

  // 3. The Result: succeeded (cvars holds the update), skipped or failed (error).
  for await (const msg of sub) {
    const result = JSONCodec<Result>().decode(msg.data);
    console.log(JSON.stringify(result, null, 2));
    process.exitCode = result.status === "failed" ? 3 : 0;
  }
} catch (err) {
  console.error(`engine: ${err}`); // a timeout: no Result within 30s
  process.exitCode = 1;
} finally {
  await nc.close();
}
