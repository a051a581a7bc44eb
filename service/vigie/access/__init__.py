"""Who may use Vigie: API/web tokens (:mod:`.tokens`) and the audit trail of their use
(:mod:`.audit`). Plain services over the store; the HTTP side lives in :mod:`vigie.api.auth`."""
