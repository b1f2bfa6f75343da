// Preloaded into CLI runs by the crash-resume test (node --import): shifts Date.now by RELIABILITY_CLOCK_SKEW_MS,
// so a re-run after a SIGKILL acts as if the user waited until the dead run's state lock lease expired.
const skew = Number(globalThis.process.env.RELIABILITY_CLOCK_SKEW_MS ?? "0")
if (skew !== 0) {
  const realNow = Date.now
  Date.now = () => realNow() + skew
}
