"""How long Rasa waits for the action server.

Rasa 3.6 passes the module constant DEFAULT_REQUEST_TIMEOUT (300 s) to every action-server request and
offers no setting for it; the widget gives up after 30 s and the channel apologises after
`turn_timeout`. The launcher sets it from the channel's `action_timeout` (credentials.yml or
PAINFAQ_ACTION_TIMEOUT), so a hung action server costs a user seconds, not five minutes. Tested by
tests/reliability/test_faults.py (test_action_server_that_hangs_times_out_with_an_apology) and
tests/unit/test_rasa_patches.py (the launcher sets it).
"""

from __future__ import annotations

from painfaq.rasa_patches.replacing import replace


def apply(seconds: float) -> None:
    import rasa.core.actions.action as rasa_action
    import rasa.utils.endpoints as rasa_endpoints

    replace(rasa_action, "DEFAULT_REQUEST_TIMEOUT", seconds)
    replace(rasa_endpoints, "DEFAULT_REQUEST_TIMEOUT", seconds)
