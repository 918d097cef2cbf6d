"""The agent as a helpdesk's support agent: `serve_app` and ``python -m <pkg> serve``.

`app` is the ASGI app (webhooks in, verified, recorded, acknowledged), `queue` the durable
webhook inbox in the agent's store, `worker` the background worker that answers it, `post` how
a reply becomes helpdesk calls, `webchat` the widget's endpoints and outbox, `setup` the
channel from settings, `feed` the live record of what happened (the playground reads it),
`cli` the command. Needs the ``[serve]`` extra (Starlette, uvicorn): imported only when used.
"""

from __future__ import annotations
