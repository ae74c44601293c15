/**
 * Helsenorge environments for the membership-services API (Helsekontakter).
 *
 * @module
 */

/** Names accepted by `--env`. */
export const ENVIRONMENT_NAMES = [
  "mock",
  "mas-01",
  "mas-02",
  "test1",
  "test2",
  "prod",
] as const;

export type EnvironmentName = typeof ENVIRONMENT_NAMES[number];

/** An environment's API base URL and HelseID authority. */
export interface Environment {
  name: EnvironmentName;
  /** Base URL of the API; undefined for `mock`, whose URL is known only once it has started. */
  baseUrl?: string;
  /** HelseID authority used with this environment. */
  helseIdAuthority?: string;
  /** Synthetic Test Norge ids exist only outside production. */
  allowSynthetic: boolean;
}

const HELSEID_TEST = "https://helseid-sts.test.nhn.no";
const HELSEID_PROD = "https://helseid-sts.nhn.no";

/** The table from DESIGN.md. */
export const ENVIRONMENTS: Readonly<Record<EnvironmentName, Environment>> = {
  mock: { name: "mock", allowSynthetic: true },
  "mas-01": {
    name: "mas-01",
    baseUrl: "https://eksternapi-hn-mas-01.int-hn.nhn.no/helsekontakter/api/v1",
    helseIdAuthority: HELSEID_TEST,
    allowSynthetic: true,
  },
  "mas-02": {
    name: "mas-02",
    baseUrl: "https://eksternapi-hn-mas-02.int-hn.nhn.no/helsekontakter/api/v1",
    helseIdAuthority: HELSEID_TEST,
    allowSynthetic: true,
  },
  test1: {
    name: "test1",
    baseUrl: "https://eksternapi.hn.test.nhn.no/helsekontakter/api/v1",
    helseIdAuthority: HELSEID_TEST,
    allowSynthetic: true,
  },
  test2: {
    name: "test2",
    baseUrl: "https://eksternapi.hn2.test.nhn.no/helsekontakter/api/v1",
    helseIdAuthority: HELSEID_TEST,
    allowSynthetic: true,
  },
  prod: {
    name: "prod",
    baseUrl: "https://eksternapi.helsenorge.no/helsekontakter/api/v1",
    helseIdAuthority: HELSEID_PROD,
    allowSynthetic: false,
  },
};
