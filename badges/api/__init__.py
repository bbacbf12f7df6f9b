"""The print-station and checkpoint API (/api/v1/): `auth` (device tokens, scopes), `errors` (the one error
shape), `params` (reading the query and bodies into domain values), `idempotency` (the Idempotency-Key), and
`views` — thin: check the scope, read the input, call one domain function, shape the answer.
"""
