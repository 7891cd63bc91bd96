"""A Rasa worker is warmed up before it takes requests.

Rasa 3.6 loads the model in `rasa.core.run.load_agent_on_start` and offers no hook after it. Wrapped here:
once the agent is loaded, its first turn's one-off work (the action-response validator, the first run
of the NLU graph) is done (painfaq.rasa_patches.speedups.warm_up_agent), and the memory freed while
loading is returned to the system (release_freed_memory). Tested by tests/production/test_speedups.py
(test_agent_loading_warms_up_and_loads_the_agent_rasa_would: the same agent, warmed up, memory returned).
"""

from __future__ import annotations

from typing import Any

from painfaq.rasa_patches.replacing import replace


def apply() -> None:
    import rasa.core.run

    from painfaq.rasa_patches import speedups

    original_load = rasa.core.run.load_agent_on_start
    if getattr(original_load, "_painfaq_wrapped", False):
        return

    async def load_agent_on_start(*args: Any, **kwargs: Any) -> Any:
        agent = await original_load(*args, **kwargs)
        await speedups.warm_up_agent(agent)
        speedups.release_freed_memory()
        return agent

    load_agent_on_start._painfaq_wrapped = True  # type: ignore[attr-defined]
    replace(rasa.core.run, "load_agent_on_start", load_agent_on_start)
