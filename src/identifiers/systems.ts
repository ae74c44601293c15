/**
 * Identifier systems from the HL7 Norway basis profiles (no-basis), used on
 * every resource Medlemsbro sends.
 *
 * @module
 */

/** Fødselsnummer, the national id given at birth or immigration. */
export const FODSELSNUMMER_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1";

/** D-nummer, the national id given to people without a fødselsnummer. */
export const D_NUMMER_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.2";

/** Organization number from Enhetsregisteret. */
export const ORGANIZATION_NUMBER_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.101";

/** HER-id: a communication party in the address register (Adresseregisteret). */
export const HER_ID_SYSTEM = "urn:oid:2.16.578.1.12.4.1.2";

/** A local id written as a URI; Medlemsbro uses `urn:uuid:` values. */
export const URI_SYSTEM = "urn:ietf:rfc:3986";
