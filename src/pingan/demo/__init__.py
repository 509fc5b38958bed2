"""Demo city generator and incident simulator (deterministic, seeded).

Import the submodules directly (``pingan.demo.city``, ``pingan.demo.simulate``); this package
module stays import-light on purpose.
"""

__all__: list[str] = []
