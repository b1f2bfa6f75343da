import type { Options } from "tsup"
export declare const library: (options: Options) => Options | Options[] | ((overrideOptions: Options) => Options | Options[])
