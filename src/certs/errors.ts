/** @module certs/errors — errors raised by the certificate operations, carrying Magnum's error codes. */

/** How much of a rejected CSR is echoed back in {@link InvalidCsrError}'s message. */
const CSR_ECHO_LENGTH = 40;

/** The CSR could not be parsed (bad PEM, bad DER) or its self-signature does not verify. Magnum: 400 `InvalidCsr`. */
export class InvalidCsrError extends Error {
  /** Magnum's error code (`faultcode` class name in the API error body). */
  readonly code = 'InvalidCsr';

  /**
   * @param csr The CSR text as received; only its first 40 characters are quoted in the message.
   * @param options Standard error options (`cause`).
   */
  constructor(csr: string, options?: ErrorOptions) {
    // Magnum: "Received invalid csr %(csr)s."
    super(`Received invalid csr ${csr.length > CSR_ECHO_LENGTH ? csr.slice(0, CSR_ECHO_LENGTH) : csr}.`, options);
    this.name = 'InvalidCsrError';
  }
}

/** The CSR asked for something ca-sign refuses (critical disallowed extension or bits). Magnum: 400. */
export class CertificateValidationError extends Error {
  /** Magnum's error code (`faultcode` class name in the API error body). */
  readonly code = 'CertificateValidationError';
  /** Name of the offending extension (e.g. `nameConstraints`, or a dotted OID when it has no name). */
  readonly extension: string;

  /** @param extension Name of the offending extension; the message is Magnum's `Extension '<name>' not allowed`. */
  constructor(extension: string) {
    super(`Extension '${extension}' not allowed`);
    this.name = 'CertificateValidationError';
    this.extension = extension;
  }
}
