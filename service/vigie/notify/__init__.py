"""Discord delivery: notices (the contract with the incident engine), rendering, the webhook
client, the durable outbox and the per-channel dispatcher.

The incident engine builds :class:`~vigie.notify.notice.Notice` values and hands them to
:meth:`vigie.notify.dispatcher.Delivery.submit`; everything after that is this package's job.
"""
