"""The conformance checks, one module per behaviour. Run them with `directus-conformance run` or
`pytest --pyargs conformance.checks --base-url URL --admin-token TOKEN`."""
