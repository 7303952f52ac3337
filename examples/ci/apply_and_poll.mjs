// A tiny UpHunt client in Node (built-in fetch): apply, then poll the status as the docs say
// (every 5 s for the first minute, then every 15 s, at most 5 minutes), retrying 429/5xx with
// Retry-After or backoff. Its one test seam: `sleep`. Against the mock in CI (UPHUNT_MOCK_CONTROL
// set) it advances the mock's manual clock instead of waiting.
//
//   UPHUNT_BASE_URL=http://127.0.0.1:PORT UPHUNT_API_KEY=sk_uphunt_demo_key node apply_and_poll.mjs
//   CLIENT_BUG=apply-twice ...   (applies twice: `uphunt-mock verify` must catch it)

const base = process.env.UPHUNT_BASE_URL ?? "https://uphunt.io";
const key = process.env.UPHUNT_API_KEY;
const control = process.env.UPHUNT_MOCK_CONTROL;
const job = process.env.JOB_ID ?? "~022053140178050136031";
let now = 0; // seconds since the apply, as far as this client knows

async function sleep(seconds) {
  now += seconds;
  if (control) {
    const r = await fetch(`${control}/_mock/clock/advance`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ seconds }),
    });
    if (!r.ok) throw new Error(`advance: HTTP ${r.status}`);
  } else {
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
}

async function call(method, path, body) {
  for (let attempt = 1; ; attempt++) {
    const r = await fetch(base + path, {
      method, headers: { "x-api-key": key, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const retryable = r.status === 429 || r.status >= 500;
    if (!retryable || attempt >= 4) return { status: r.status, body: await r.json() };
    await sleep(Number(r.headers.get("retry-after")) || 2 ** attempt * 0.5);
  }
}

const applied = await call("POST", "/api/auto-apply-v2/apply", { jobId: job, coverLetter: "Hello from Node" });
if (applied.status !== 200) throw new Error(`apply: HTTP ${applied.status} ${JSON.stringify(applied.body)}`);
if (process.env.CLIENT_BUG === "apply-twice") await call("POST", "/api/auto-apply-v2/apply", { jobId: job, coverLetter: "again" });
const queueId = applied.body.queueId;
now = 0;
for (;;) {
  await sleep(now < 60 ? 5 : 15);
  const record = await call("GET", `/api/auto-apply-v2/status?queueId=${encodeURIComponent(queueId)}`);
  if (record.status === 200 && record.body.applicationStatus !== "processing") {
    console.log(`${queueId}: ${record.body.applicationStatus} after ${now} s`);
    break;
  }
  if (now >= 300) throw new Error(`${queueId}: still processing after 5 minutes`);
}
