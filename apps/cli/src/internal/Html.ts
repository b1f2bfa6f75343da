/** HTML building blocks of the report page (HtmlReport.ts): escaping untrusted text, an inline SVG bar chart. */

/** Escape text for HTML element content and double- or single-quoted attributes. */
export const escapeHtml = (value: unknown): string =>
  String(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;")

const e = escapeHtml

export interface Bar {
  readonly label: string
  readonly value: number
  readonly color: string
}

/** Horizontal bar chart of changes by type, as inline SVG. */
export const barChart = (bars: ReadonlyArray<Bar>): string => {
  const rowH = 26
  const labelW = 190
  const barW = 420
  const max = Math.max(1, ...bars.map((b) => b.value))
  const height = bars.length * rowH + 10
  const rows = bars
    .map((b, i) => {
      const y = i * rowH + 5
      const w = b.value === 0 ? 0 : Math.max(2, Math.round((b.value / max) * barW))
      return [
        `<text x="${labelW - 8}" y="${y + 17}" text-anchor="end" class="lbl">${e(b.label)}</text>`,
        `<rect x="${labelW}" y="${y + 4}" width="${w}" height="${rowH - 8}" rx="3" fill="${e(b.color)}"><title>${e(b.label)}: ${b.value}</title></rect>`,
        `<text x="${labelW + w + 6}" y="${y + 17}" class="val">${b.value}</text>`
      ].join("")
    })
    .join("\n")
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Changes by type" viewBox="0 0 ${labelW + barW + 60} ${height}" width="100%" style="max-width:${labelW + barW + 60}px">\n${rows}\n</svg>`
}
