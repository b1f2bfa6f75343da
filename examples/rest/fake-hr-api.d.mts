// Types of fake-hr-api.mjs (for the adapter's tests that start it).
export interface FakeEmployee {
  readonly id: string
  readonly personal: { readonly firstName: string; readonly lastName: string }
  readonly work: {
    readonly email: string
    readonly title: string
    readonly department: string
    readonly manager: { readonly id: string } | null
  }
  readonly employment: { readonly status: "active" | "terminated" }
}

export interface FakeHrApi {
  readonly url: string
  readonly people: ReadonlyArray<FakeEmployee>
  readonly close: () => Promise<void>
}

export declare const employees: (count?: number) => ReadonlyArray<FakeEmployee>

export declare const startFakeHrApi: (options?: {
  readonly port?: number
  readonly count?: number
  readonly clientId?: string
  readonly clientSecret?: string
  readonly apiKey?: string
  readonly perSecond?: number
}) => Promise<FakeHrApi>
