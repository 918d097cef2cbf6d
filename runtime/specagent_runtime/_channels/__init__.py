"""The helpdesk channels: verify and read webhooks, reply, confirm and hand off.

Private to the runtime; the serve step (`python -m <pkg> serve`, `serve_app`) is its user. One
interface (`base.Channel` for the inbound half, `base.HelpdeskClient` for the outbound half) and
one module per helpdesk: `intercom`, `zendesk`, `sunshine`, `webchat`. `config` reads the
documented environment variables; `signing` holds every signature and token check.
"""

from __future__ import annotations
