"""Ticket templates: small YAML files that describe a ticket, with `${VARIABLES}` filled in when rendered.

The model is strict (an unknown key, a wrong type or a missing variable is an error naming the file, the line and
the key), because a typo such as `priorty:` must fail loudly rather than open a ticket without its priority.

YAML is only composed into nodes, never constructed into objects, by a safe loader that refuses aliases outright:
templates have no use for anchors, and refusing the first `*alias` stops an alias bomb before it can grow.
Files over 1 MiB are refused before parsing.

Variables: `${NAME}`, `${NAME:-default}` (the default also applies when NAME is empty, as in the shell) and `$${`
for a literal `${`. Every string is substituted (list items, field values, the body file's text) except
`description` and `variables`, which describe the template itself. Values come from, strongest first: --var,
--vars-file (a YAML mapping or a .env file), the environment, the defaults under `variables:`, and the built-ins
`today`, `now`, `hostname` and `user`. The environment is read only for the names a template declares under
`variables:` (never PORTALCTL_* settings): a template from a cloned project cannot copy $GITHUB_TOKEN into a ticket.

Templates are found by path, else by name in ./.portalctl/templates/ and then in the user config directory.

The package, one concern a module: `reading` (files read within bounds, YAML composed as nodes, errors that name
the file and line), `variables` (the `${...}` syntax and where values come from), `template` (a checked template
and how it renders), `loading` (a file checked key by key into a template), `rendered` (the ticket a template gives,
flags over it) and `lookup` (where templates are found by name, and rendering one by reference).
"""
