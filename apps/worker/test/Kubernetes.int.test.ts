/**
 * examples/kubernetes stays true: the manifests keep the promises the worker relies on (2 replicas,
 * probes on the right paths and port, non-root, a grace period longer than the worker's shutdown
 * grace, every ${VAR} of the configs provided by the Deployment or the Secret), and the ConfigMap's
 * worker.yaml + pipeline config, mounted as the Deployment mounts them, start the real bundle and
 * sync the sample people (Okta = the emulator, state = the test PostgreSQL).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { parseAllDocuments } from "yaml"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  dropSchema,
  emulator,
  eventually,
  messageOf,
  pgUrl,
  schemaName,
  startWorker,
  tempDir,
  workerDir,
  type Emulator,
  type WorkerProcess
} from "./support/harness.ts"

const dir = resolve(workerDir, "../../examples/kubernetes")
const load = (file: string) => parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((d) => d.toJS() as any)
const [deployment] = load("deployment.yaml")
const [configMap] = load("configmap.yaml")
const [secret] = load("secret.yaml")
const [service] = load("service.yaml")
const container = deployment.spec.template.spec.containers[0]
const references = (text: string) => [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!)

describe("examples/kubernetes manifests", () => {
  it("lists every manifest in the kustomization", () => {
    const [kustomization] = load("kustomization.yaml")
    expect(kustomization.resources.sort()).toEqual(["configmap.yaml", "deployment.yaml", "pdb.yaml", "secret.yaml", "service.yaml"])
  })

  it("runs 2 non-root replicas with probes on /healthz and /readyz of the worker's port", () => {
    expect(deployment.spec.replicas).toBe(2)
    const pod = deployment.spec.template.spec
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 })
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } })
    expect(container.command).toBeUndefined() // the image's CMD starts the worker
    expect(container.args).toBeUndefined()
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" })
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" })
    expect(container.ports).toEqual([{ name: "http", containerPort: 8080 }])
    expect(container.resources.requests).toBeDefined()
    expect(container.resources.limits.memory).toBeDefined()
    expect(service.spec.ports[0].targetPort).toBe("http")
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels)
    const workerYaml = configMap.data["worker.yaml"] as string
    expect(/port:\s*(\d+)/.exec(workerYaml)![1]).toBe("8080")
  })

  it("gives the worker longer to stop than its own shutdown grace, and mounts the config where it looks", () => {
    const grace = /shutdownGrace:\s*(\d+)m/.exec(configMap.data["worker.yaml"])!
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(Number(grace[1]) * 60)
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]))
    const mount = container.volumeMounts.find((m: { name: string }) => m.name === "config")
    expect(env.ANYSOURCE_WORKER_CONFIG).toBe(`${mount.mountPath}/worker.yaml`)
    expect(mount.readOnly).toBe(true)
    expect(deployment.spec.template.spec.volumes.find((v: { name: string }) => v.name === "config").configMap.name).toBe(configMap.metadata.name)
    expect(container.envFrom[0].secretRef.name).toBe(secret.metadata.name)
  })

  it("provides every ${VAR} the configs use, secrets from the Secret", () => {
    const provided = new Set([...container.env.map((e: { name: string }) => e.name), ...Object.keys(secret.stringData)])
    // values only (comments may mention alternatives such as ${OKTA_PRIVATE_KEY})
    const used = Object.entries(configMap.data as Record<string, string>)
      .filter(([file]) => file.endsWith(".yaml"))
      .flatMap(([, text]) => references(JSON.stringify(parseAllDocuments(text)[0]!.toJS())))
    expect(used.length).toBeGreaterThan(3)
    expect([...new Set(used)].filter((v) => !provided.has(v))).toEqual([])
    for (const name of ["WORKER_TOKEN", "OKTA_API_TOKEN", "STATE_DATABASE_URL"]) expect(Object.keys(secret.stringData)).toContain(name)
  })
})

describe("examples/kubernetes config in the real worker", () => {
  let okta: Emulator
  let tmp: ReturnType<typeof tempDir>
  let worker: WorkerProcess | undefined
  const schema = schemaName("k8s")
  const identitySourceId = "0oaWORKERK8SEXAMPLE1"

  beforeAll(async () => {
    okta = await emulator({ identitySources: [{ id: identitySourceId }] })
    tmp = tempDir("k8s")
    const mount = join(tmp.dir, "etc/anysource")
    mkdirSync(mount, { recursive: true })
    for (const [file, text] of Object.entries(configMap.data as Record<string, string>)) {
      // the only edits: a free port (8080 may be taken here) and a schema of our own in the shared database
      const local = file === "worker.yaml" ? text.replace(/port:\s*8080/, "port: 0") : file === "hr.yaml" ? text.replace(/schema: anysource\b/, `schema: ${schema}`) : text
      writeFileSync(join(mount, file), local)
    }
  })

  afterAll(async () => {
    await worker?.stop("SIGKILL")
    await okta?.close()
    tmp?.remove()
    await dropSchema(schema)
  })

  it("starts, is ready, and a triggered run syncs the sample people", { timeout: 180_000 }, async () => {
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value])) as Record<string, string>
    worker = await startWorker({
      env: {
        ...env,
        ...secret.stringData,
        ANYSOURCE_WORKER_CONFIG: join(tmp.dir, "etc/anysource/worker.yaml"),
        OKTA_ORG_URL: okta.emu.url,
        OKTA_IDENTITY_SOURCE_ID: identitySourceId,
        OKTA_API_TOKEN: "emulator-api-token",
        STATE_DATABASE_URL: pgUrl(),
        HOSTNAME: "anysource-worker-5d8c7-x2x9q"
      }
    })
    expect(worker.lines.map(messageOf)).toContain('pipeline hr: schedule "*/30 * * * *" (UTC), mode apply, state postgres')
    expect((await worker.api("/readyz", { token: null })).status).toBe(200)
    const post = await worker.api("/runs", { method: "POST", body: { pipeline: "hr" }, token: secret.stringData.WORKER_TOKEN })
    expect(post.status).toBe(202)
    const run = await eventually(async () => {
      const r = await worker!.api(`/runs/${post.json.runId}`, { token: secret.stringData.WORKER_TOKEN })
      return r.json?.status === "finished" ? r.json : undefined
    }, 30_000, "the run")
    expect(run).toMatchObject({ outcome: "applied", replica: "anysource-worker-5d8c7-x2x9q" })
    const users = okta.emu.directory.users()
    expect(users.map((u) => u.externalId).sort()).toEqual(["E1001", "E1002", "E1003", "E1004", "E1005", "E1007", "E1008"])
    expect(okta.emu.directory.groups().map((g) => g.externalId).sort()).toEqual(["dept-engineering", "dept-operations", "dept-research"])
    expect(await worker.stop()).toEqual({ code: 0, signal: null })
  })
})
