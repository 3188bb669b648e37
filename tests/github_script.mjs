// Run an actions/github-script `script` against stand-ins of its globals: the GitHub client
// records every call (answering from a scenario), `core` records failures. Input on stdin:
// {"script": "...", "env": {...}, "issues": [{number, title}], "run_id": 7}. Output: the calls.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const input = JSON.parse(readFileSync(0, "utf8"));
const calls = [];
const record = (name) => async (args) => { calls.push([name, args]); return { data: [] }; };
const github = {
  paginate: async (method, args) => { calls.push(["paginate", args]); return input.issues; },
  rest: { issues: {
    listForRepo: "listForRepo", create: record("create"), update: record("update"),
    createComment: record("createComment"), updateComment: record("updateComment"), listComments: "listComments",
  } },
};
const context = { repo: { owner: "acme", repo: "infra" }, serverUrl: "https://github.com", runId: input.run_id };
const core = { setFailed: (message) => calls.push(["setFailed", message]), setOutput: () => {} };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
const run = new AsyncFunction("require", "github", "context", "core", "process", input.script);
await run(require, github, context, core, { env: input.env });
process.stdout.write(JSON.stringify(calls));
