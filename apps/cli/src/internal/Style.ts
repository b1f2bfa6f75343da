/** Minimal ANSI styling that turns itself off for NO_COLOR, --no-color and non-TTY output. */
export interface Style {
  readonly enabled: boolean
  readonly bold: (s: string) => string
  readonly dim: (s: string) => string
  readonly red: (s: string) => string
  readonly green: (s: string) => string
  readonly yellow: (s: string) => string
  readonly blue: (s: string) => string
  readonly cyan: (s: string) => string
  readonly magenta: (s: string) => string
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`
const id = (s: string) => s

export const make = (enabled: boolean): Style =>
  enabled
    ? {
        enabled,
        bold: wrap(1, 22),
        dim: wrap(2, 22),
        red: wrap(31, 39),
        green: wrap(32, 39),
        yellow: wrap(33, 39),
        blue: wrap(34, 39),
        cyan: wrap(36, 39),
        magenta: wrap(35, 39)
      }
    : { enabled, bold: id, dim: id, red: id, green: id, yellow: id, blue: id, cyan: id, magenta: id }

export const plain: Style = make(false)

/** Colors on when the stream is a TTY (or FORCE_COLOR), unless NO_COLOR / --no-color. */
export const decide = (options: { readonly isTTY: boolean; readonly noColorFlag: boolean; readonly noColorEnv: boolean; readonly forceColor: boolean }): boolean =>
  !options.noColorFlag && !options.noColorEnv && (options.isTTY || options.forceColor)

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g
export const strip = (s: string): string => s.replace(ANSI, "")
