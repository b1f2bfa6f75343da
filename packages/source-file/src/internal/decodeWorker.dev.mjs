// Development entry of the decode worker (the package's exports point at TypeScript sources): load tsx's
// loader in this thread, then the TypeScript entry. Published builds start dist/decode-worker.js instead.
import { register } from "tsx/esm/api"

register()
await import("./decodeWorker.ts")
