"""Suite-wide settings for the Python tests.

Hypothesis: no per-example deadline. Its default (200 ms) fails tests on a loaded CI machine
(a load of 10 on 2 cores happens) for reasons that are not bugs; every ``@settings`` in the
suite says ``deadline=None`` as well, and this profile covers any test that forgets to.
"""

from hypothesis import settings

settings.register_profile("ossauth", deadline=None)
settings.load_profile("ossauth")
